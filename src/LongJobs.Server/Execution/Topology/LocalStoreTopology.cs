using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Topology;

/// <summary>
/// A store of this process only (the in-memory store): this server is the only one that queues and runs its jobs, so it
/// knows every change of the queue itself, counts are cheap and exact, and nobody runs a job this server does not.
/// </summary>
internal sealed class LocalStoreTopology(IQueuedJobs queue, IJobRecords records, IJobAttempts attempts, TimeProvider time) : StoreTopology(queue)
{
    public override bool IsShared => false;

    /// <summary>The first version, as the store records it: a store of this process then keeps the very record it is given.</summary>
    public override long UnstoredVersion => 1;

    public override ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken) =>
        Queue.CountQueuedAsync(countAtMost, cancellationToken);

    /// <summary>The store counts in this process's memory and answers at once; a count it could only give later is skipped.</summary>
    public override int? QueueLengthForMetrics()
    {
        var counting = Queue.CountQueuedAsync(int.MaxValue);
        if (counting.IsCompletedSuccessfully)
        {
            return counting.Result;
        }

        _ = counting.AsTask().ContinueWith(static task => task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return null;
    }

    /// <summary>
    /// Every queued job and freed slot wakes the loop, and so does stopping (checked after the claim, so a stop is
    /// never missed): no timer, no linked token, one signal per wake-up.
    /// </summary>
    public override async Task<bool> ClaimThenWaitAsync(Func<Task> claim, Task woken, CancellationToken stopping)
    {
        await claim().ConfigureAwait(false);
        if (!stopping.IsCancellationRequested)
        {
            await woken.ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Cancels the jobs still queued or scheduled: nobody would run them.</summary>
    public override async Task EndQueueAtShutdownAsync(ILogger logger)
    {
        try
        {
            // Scheduled first: one that comes due meanwhile is then cancelled with the queued ones.
            foreach (var status in new[] { JobStatus.Scheduled, JobStatus.Queued })
            {
                JobCursor? after = null;
                do
                {
                    var page = await records.ListAsync(new JobQuery { Status = status, After = after, PageSize = JobQuery.MaxPageSize }).ConfigureAwait(false);
                    foreach (var job in page.Items)
                    {
                        var outcome = new JobOutcome(JobStatus.Canceled, time.GetUtcNow(), Error: JobErrors.StoppedByShutdown);
                        await attempts.TryFinishAsync(job.Id, status, job.Attempt, outcome).ConfigureAwait(false);
                    }

                    after = page.Next;
                }
                while (after is not null);
            }
        }
        catch (Exception exception)
        {
            Log.StoreFailed(logger, exception, Guid.Empty);
        }
    }

    /// <summary>The job's stored state: cancelled by <see cref="EndQueueAtShutdownAsync"/>, or finished meanwhile.</summary>
    public override async ValueTask<JobRecord> FinalStateAtShutdownAsync(LongRunningJob handle)
    {
        try
        {
            return await records.GetAsync(handle.Id).ConfigureAwait(false) ?? handle.Row();
        }
        catch (JobStoreUnavailableException)
        {
            return handle.Row();
        }
    }

    /// <summary>No other server would run it.</summary>
    public override ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at) => ValueTask.FromResult<JobRecord?>(null);
}
