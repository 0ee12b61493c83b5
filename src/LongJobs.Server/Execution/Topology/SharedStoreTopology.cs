using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Topology;

/// <summary>
/// A store shared by every server that uses it (PostgreSQL): other servers queue and run its jobs too, so the queue's
/// length is counted now and then (<see cref="QueuedJobCount"/>), the claim loop also wakes when the store says another
/// server queued a job and every <see cref="LongJobsOptions.QueuePollInterval"/>, and the jobs this server does not
/// finish stay in the store for the next server.
/// </summary>
internal sealed class SharedStoreTopology(IQueuedJobs queue, TimeProvider time, TimeSpan pollInterval) : StoreTopology(queue)
{
    private readonly QueuedJobCount _queued = new(time);
    private readonly Lock _countGate = new();

    /// <summary>The count being read, shared by every start that finds the last count too old (one query, not one each).</summary>
    private Task<int>? _counting;

    /// <summary>The poll of the claim loop; it runs across wake-ups, so slots that keep freeing do not keep postponing it.</summary>
    private Task? _poll;

    public override bool IsShared => true;

    /// <summary>None: a job's version 0 tells that its insert has not completed (the lease keeper renews only stored jobs).</summary>
    public override long UnstoredVersion => 0;

    /// <summary>
    /// Counts at most every <see cref="QueuedJobCount.MaxAge"/> (less often while the queue has room), with this server's
    /// own changes in between; concurrent starts that find the count too old wait for the same query.
    /// </summary>
    public override ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken)
    {
        if (_queued.TryGet(countAtMost, out var count))
        {
            return ValueTask.FromResult(count);
        }

        Task<int> counting;
        lock (_countGate)
        {
            if (_counting is null || _counting.IsCompleted)
            {
                _counting = CountAsync(countAtMost);
            }

            counting = _counting;
        }

        return new ValueTask<int>(counting.WaitAsync(cancellationToken));
    }

    /// <summary>One count for every waiting start: no single caller's token ends it (the store's command timeout bounds it).</summary>
    private async Task<int> CountAsync(int countAtMost)
    {
        var count = await Queue.CountQueuedAsync(countAtMost, CancellationToken.None).ConfigureAwait(false);
        _queued.Set(count);
        return count;
    }

    public override void NoteQueueChange(int delta) => _queued.Add(delta);

    /// <summary>The last count, with this server's changes since: asking a shared store on every collection would cost a query each.</summary>
    public override int? QueueLengthForMetrics() => _queued.TryGetLast(out var count) ? count : null;

    public override async Task<bool> ClaimThenWaitAsync(Func<Task> claim, Task woken, CancellationToken stopping)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var poll = _poll ??= Task.Delay(pollInterval, time, stopping);
        var queued = Queue.WaitForQueuedJobsAsync(wait.Token);

        try
        {
            await claim().ConfigureAwait(false);
        }
        catch
        {
            // The store's wait ends with the turn, whatever ends it.
            await wait.CancelAsync().ConfigureAwait(false);
            _ = queued.ContinueWith(static done => done.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        await Task.WhenAny(woken, queued, poll).ConfigureAwait(false);

        // The store said a job was queued, or it is time to look anyway; a freed slot alone does not mean there is
        // anything to claim.
        var changed = queued.IsCompletedSuccessfully || poll.IsCompletedSuccessfully;
        if (poll.IsCompleted)
        {
            _poll = null;
        }

        await wait.CancelAsync().ConfigureAwait(false);
        if (queued.IsFaulted)
        {
            // Nobody else awaits the store's wait: a failure of it only means looking again on the next turn.
            _ = queued.Exception;
            changed = true;
        }

        return changed;
    }

    /// <summary>Leaves the queue as it is: the next server runs its jobs.</summary>
    public override Task EndQueueAtShutdownAsync(ILogger logger) => Task.CompletedTask;

    /// <summary>The handle's last state: the job itself goes on, on the next server; only this process's view of it ends.</summary>
    public override ValueTask<JobRecord> FinalStateAtShutdownAsync(LongRunningJob handle) => ValueTask.FromResult(handle.Row());

    public override ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at) =>
        Queue.TryRequeueAsync(id, attempt, message, at);
}
