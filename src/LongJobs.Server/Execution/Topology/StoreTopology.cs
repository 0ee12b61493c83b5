using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Topology;

/// <summary>
/// Where the job store lives: in this process only (<see cref="LocalStoreTopology"/>), or shared by every server that
/// uses it (<see cref="SharedStoreTopology"/>). What the scheduler does differently on the two is here, and only here.
/// </summary>
internal abstract class StoreTopology(IQueuedJobs queue)
{
    protected IQueuedJobs Queue { get; } = queue;

    /// <summary>
    /// Whether other servers run the jobs of registered kinds too: then a job started here may run elsewhere, so this
    /// server follows it in the store, and a job it cannot finish may go back to the queue for another server.
    /// </summary>
    public abstract bool IsShared { get; }

    /// <summary>The version of a new job's record before the store has it.</summary>
    public abstract long UnstoredVersion { get; }

    /// <summary>
    /// The topology of <paramref name="store"/>: shared when it is durable (<see cref="IJobStoreDurability.IsDurable"/>).
    /// Each topology takes the store's roles it uses.
    /// </summary>
    public static StoreTopology Of(IJobStore store, TimeProvider time, LongJobsOptions options) =>
        store.IsDurable ? new SharedStoreTopology(store, time, options.QueuePollInterval) : new LocalStoreTopology(store, store, store, time);

    /// <summary>Counts the queue, for admission: see <see cref="LongJobsOptions.MaxQueuedJobs"/>.</summary>
    /// <returns>The number of queued jobs, or <paramref name="countAtMost"/> when there are at least that many.</returns>
    public abstract ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken);

    /// <summary>Notes this server's own change of the queue's length: jobs it queued (positive), or took from the queue (negative).</summary>
    public virtual void NoteQueueChange(int delta)
    {
    }

    /// <summary>The queue's length for metrics, without waiting for the store.</summary>
    /// <returns>The length, or <see langword="null"/> when it is not known.</returns>
    public abstract int? QueueLengthForMetrics();

    /// <summary>
    /// One turn of the claim loop: runs <paramref name="claim"/> (watching, from before it starts, whatever may queue
    /// jobs meanwhile), then waits until claiming may be worth it again: <paramref name="woken"/> (this server queued a
    /// job or freed a slot), <paramref name="stopping"/>, or what the topology watches besides.
    /// </summary>
    /// <returns>Whether the store's queue may have changed without this server knowing: another server queued a job, or it is time to look anyway.</returns>
    public abstract Task<bool> ClaimThenWaitAsync(Func<Task> claim, Task woken, CancellationToken stopping);

    /// <summary>When this server stops: ends the jobs waiting in the store's queue that nobody would run any more.</summary>
    public abstract Task EndQueueAtShutdownAsync(ILogger logger);

    /// <summary>When this server stops: the state to complete the handle of a job started here that no slot of this server ran.</summary>
    public abstract ValueTask<JobRecord> FinalStateAtShutdownAsync(LongRunningJob handle);

    /// <summary>Puts a job this server cannot finish (it stops) back in the queue, for another server to run.</summary>
    /// <returns>The queued state; <see langword="null"/> when no other server would run it, or the job no longer runs here in <paramref name="attempt"/>.</returns>
    public abstract ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at);
}
