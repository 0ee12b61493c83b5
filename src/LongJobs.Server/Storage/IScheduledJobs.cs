using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// The jobs started for later, a role of <see cref="IJobStore"/>: <see cref="JobStatus.Scheduled"/> until their
/// <see cref="JobRecord.NotBefore"/>, then moved into the queue by whichever server sharing the store comes first.
/// </summary>
public interface IScheduledJobs
{
    /// <summary>Reads the earliest <see cref="JobRecord.NotBefore"/> of the scheduled jobs.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The earliest due time, or <see langword="null"/> when no job is scheduled.</returns>
    ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves scheduled jobs due at <paramref name="now"/> (their <see cref="JobRecord.NotBefore"/> is not later) into the
    /// queue, earliest first: each becomes <see cref="JobStatus.Queued"/>. Concurrent calls, from this server or others
    /// sharing the store, never move the same job twice.
    /// </summary>
    /// <param name="now">The time to compare due times with.</param>
    /// <param name="limit">How many jobs to move at most.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many jobs were moved.</returns>
    ValueTask<int> QueueDueJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when another server sharing the store may have scheduled a job since the call; it may also complete
    /// when nothing was scheduled. A store no other server shares may never complete it.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A task that completes when it is worth reading the next due time again.</returns>
    Task WaitForScheduledJobsAsync(CancellationToken cancellationToken);
}
