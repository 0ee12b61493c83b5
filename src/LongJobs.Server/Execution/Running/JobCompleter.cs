using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// Ends this server's part in a job: frees its slot, then completes its handle (or, when the job goes on on another
/// server, follows it there), then tells a waiting shutdown that no job is left. In this order, code that continues
/// from the handle's <see cref="LongRunningJob.Task"/> can start the next job in the slot it freed, and shutdown
/// returns only once every handle is complete.
/// </summary>
internal sealed class JobCompleter(SlotPool pool, FollowedJobs followed, JobStateWriter writer, TimeProvider time)
{
    /// <summary>
    /// Ends a job that ran here, or never ran, with <paramref name="final"/>. An attempt that a later one superseded
    /// ends nothing: the later attempt holds the job, its slot and its handle.
    /// </summary>
    public void Complete(JobWorkItem item, JobRecord final, object? result, Exception? exception)
    {
        var drained = pool.Release(item);
        try
        {
            if (item.IsSuperseded)
            {
                return;
            }

            if (final.Status.IsFinished() || item.Kind is not { } kind || !followed.TryFollowElsewhere(item.Job, kind))
            {
                item.Job.Complete(final, result, exception);
            }
        }
        finally
        {
            item.Cancellation.Dispose();
            if (drained)
            {
                pool.SetDrained();
            }
        }
    }

    /// <summary>Gives back the slot of a job whose outcome waits for the store; the job stays held until it is recorded.</summary>
    public void FreeSlot(JobWorkItem item) => pool.FreeSlot(item);

    /// <summary>Gives back the slot of a job whose work just ended while its outcome is written, within the pool's bound (<see cref="SlotPool.FreeSlotWhileWriting"/>).</summary>
    public void FreeSlotWhileWriting(JobWorkItem item) => pool.FreeSlotWhileWriting(item);

    /// <summary>Records an ad-hoc job that waited queued and never ran as cancelled, and ends it.</summary>
    public Task CancelQueuedAsync(JobWorkItem item, JobError? error) => CancelUnrunAsync(item, JobStatus.Queued, attempt: 0, error);

    /// <summary>
    /// Records an ad-hoc job that never ran as cancelled, and ends it: one stored <paramref name="status"/> in
    /// <paramref name="attempt"/>, queued, or running in the slot it took before it was stored.
    /// </summary>
    public async Task CancelUnrunAsync(JobWorkItem item, JobStatus status, int attempt, JobError? error)
    {
        var outcome = new JobOutcome(JobStatus.Canceled, time.GetUtcNow(), Error: error);
        var final = await writer.RecordOutcomeAsync(item.Job.Row(), status, attempt, outcome).ConfigureAwait(false);
        Complete(item, final, result: null, exception: null);
    }

    /// <summary>Forgets an ad-hoc job that was never stored.</summary>
    public void Forget(JobWorkItem item)
    {
        var drained = pool.Release(item);
        item.Cancellation.Dispose();
        if (drained)
        {
            pool.SetDrained();
        }
    }

    /// <summary>
    /// Ends a job whose work ignored the shutdown past its timeout: frees it and completes its handle with
    /// <paramref name="final"/>. Its cancellation source stays undisposed: the abandoned work still holds the token.
    /// </summary>
    public void Abandon(JobWorkItem item, JobRecord final)
    {
        pool.Release(item);
        item.Job.Complete(final, result: null, exception: null);
    }
}
