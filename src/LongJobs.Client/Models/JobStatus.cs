using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>Where a job is in its lifecycle.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
public enum JobStatus
{
    /// <summary>Accepted and waiting for a free execution slot.</summary>
    Queued,

    /// <summary>Executing now.</summary>
    Running,

    /// <summary>Finished and produced its result.</summary>
    Succeeded,

    /// <summary>Finished by throwing; the job's error says why.</summary>
    Failed,

    /// <summary>Cancelled before it started, or stopped after honouring its cancellation.</summary>
    Canceled,

    /// <summary>Started for later: waiting for its time (<see cref="JobInfo.NotBefore"/>), then queued.</summary>
    Scheduled,
}
