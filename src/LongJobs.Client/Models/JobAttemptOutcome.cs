using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>How one attempt of a job ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobAttemptOutcome>))]
public enum JobAttemptOutcome
{
    /// <summary>The job succeeded in this attempt.</summary>
    Succeeded,

    /// <summary>The job failed in this attempt, for good.</summary>
    Failed,

    /// <summary>The job was cancelled in this attempt.</summary>
    Canceled,

    /// <summary>The server running the attempt was lost.</summary>
    Lost,

    /// <summary>The attempt ended and the job went on in a later one (a transient failure, or its server stopped).</summary>
    Retried,
}
