using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// The queued jobs of registered kinds, a role of <see cref="IJobStore"/>: shared by every server using the store,
/// which count them, claim them, wait for them, and hand their own jobs back when they stop.
/// </summary>
public interface IQueuedJobs
{
    /// <summary>Counts the <see cref="JobStatus.Queued"/> jobs of every kind, up to <paramref name="countAtMost"/>.</summary>
    /// <param name="countAtMost">Where to stop counting: the caller only needs to know whether the queue is this long.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of queued jobs, or <paramref name="countAtMost"/> when there are at least that many.</returns>
    ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the first queued jobs of registered kinds (those with a <see cref="JobRecord.Request"/>) among
    /// <paramref name="kinds"/>, but none of a paused kind (<see cref="IKindPauses"/>), and starts them: each becomes <see cref="JobStatus.Running"/> in its next attempt.
    /// First means in order of <see cref="JobRecord.CreatedAt"/> less <see cref="JobRecord.Priority"/> minutes, then of
    /// <see cref="JobRecord.Id"/>: oldest first within a priority, a higher priority ahead of the jobs created up to a minute
    /// per level before it, and never behind a job of any priority created long enough after it (no starvation).
    /// Concurrent claims, from this server or others sharing the store, never take the same job. A kind in
    /// <paramref name="runningLimits"/> never has more jobs running than its limit after the claim, counting those every
    /// server runs, however many claims run at once; its jobs beyond that room stay queued and are passed over, so the jobs
    /// behind them are taken as if they were not there. A claim takes fewer than <paramref name="limit"/> jobs only when no
    /// other waiting job of <paramref name="kinds"/> may start now, but for those concurrent claims hold: the scheduler then
    /// counts the queue as empty for this server, and looks again when one of a limited kind's jobs finishes.
    /// </summary>
    /// <param name="kinds">The kinds the caller can run.</param>
    /// <param name="limit">How many jobs to take at most.</param>
    /// <param name="startedAt">When they start.</param>
    /// <param name="runningLimits">For kinds limited across servers, the most of their jobs that may run at once; <see langword="null"/> when none is.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The started jobs, first first; empty when none is waiting.</returns>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, IReadOnlyDictionary<string, int>? runningLimits = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when a job may have been queued by another server sharing the store, or queued again after its
    /// server was lost, since the call; it may also complete when nothing was queued. A store no other server
    /// shares may never complete it: the scheduler knows about its own jobs.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A task that completes when it is worth claiming again.</returns>
    Task WaitForQueuedJobsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Puts a job running in attempt <paramref name="attempt"/> back in the queue, for any server to claim: how a
    /// stopping server hands over the jobs it could not finish. A job asked to cancel is cancelled instead.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="attempt">The attempt that stops.</param>
    /// <param name="message">Says why the job waits again.</param>
    /// <param name="at">When the attempt stopped: the completion time if the job is cancelled instead.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default);
}
