using System.Text.Json.Serialization;

namespace LongJobs.Server.Jobs;

/// <summary>How one attempt of a job ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobAttemptOutcome>))]
public enum JobAttemptOutcome
{
    /// <summary>The job succeeded in this attempt.</summary>
    Succeeded,

    /// <summary>The job failed in this attempt, for good.</summary>
    Failed,

    /// <summary>The job was cancelled in this attempt (on request, or stopped by its server's shutdown).</summary>
    Canceled,

    /// <summary>The server running the attempt stopped renewing its lease (it crashed or lost the database); the job was queued again or ended.</summary>
    Lost,

    /// <summary>
    /// The attempt ended and the job went on in a later one: a transient failure retried in place (with its error), or
    /// a job handed back to the queue when its server stopped (without an error).
    /// </summary>
    Retried,
}
