namespace LongJobs.Server.Storage;

/// <summary>The removal of expired finished jobs, a role of <see cref="IJobStore"/>: what the retention sweeper uses.</summary>
public interface IJobRetention
{
    /// <summary>Removes finished jobs that finished before <paramref name="finishedBefore"/>, and the oldest
    /// finished jobs beyond the newest <paramref name="keepAtMost"/>. A durable store keeps a job whose notifications
    /// are still due (<see cref="IJobOutbox"/>) until they are delivered or given up (PostgreSQL does); a store in
    /// memory, bounded by its memory, may remove it with them (the in-memory store does).</summary>
    /// <param name="finishedBefore">Jobs finished before this instant are removed.</param>
    /// <param name="keepAtMost">How many finished jobs to keep at most.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many jobs were removed.</returns>
    ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default);
}
