using System.Text.Json.Serialization;

namespace LongJobs.Server.Jobs;

/// <summary>
/// The lifecycle of a job. A job moves <see cref="Queued"/> → <see cref="Running"/> → one of the three
/// finished states, or straight from <see cref="Queued"/> to <see cref="Canceled"/>. A job started for later is
/// <see cref="Scheduled"/> until its time, then <see cref="Queued"/> (or <see cref="Canceled"/> before it).
/// </summary>
/// <remarks>
/// The classic <c>Dictionary&lt;Guid, Task&gt;</c> approach has three states: its <c>Running</c> is
/// <see cref="Queued"/> or <see cref="Running"/> here, its <c>Done</c> is <see cref="Succeeded"/> (or
/// <see cref="Canceled"/>, which it could not tell apart), and its <c>Failed</c> is <see cref="Failed"/>.
/// </remarks>
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

    /// <summary>Cancelled before it started, or stopped after honouring its cancellation token.</summary>
    Canceled,

    /// <summary>Waiting for its time (<see cref="JobSnapshot.NotBefore"/>): no server claims it before then.</summary>
    Scheduled,
}

/// <summary>Queries on <see cref="JobStatus"/>.</summary>
public static class JobStatusExtensions
{
    /// <summary>Whether the job has reached a final state and will not change again.</summary>
    /// <param name="status">The status to test.</param>
    /// <returns><see langword="true"/> for <see cref="JobStatus.Succeeded"/>, <see cref="JobStatus.Failed"/> and <see cref="JobStatus.Canceled"/>.</returns>
    public static bool IsFinished(this JobStatus status) =>
        status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled;
}
