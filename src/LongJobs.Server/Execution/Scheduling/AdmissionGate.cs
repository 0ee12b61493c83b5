using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Refuses a new job while the host stops (503), or when it would have to wait (no slot is free here) and the store's
/// queue already holds <see cref="LongJobsOptions.MaxQueuedJobs"/> jobs (429; on a shared store, by a recent count).
/// </summary>
internal sealed class AdmissionGate(SlotPool pool, StoreTopology topology, LongJobsOptions options)
{
    /// <exception cref="JobRejectedException">The host stops, or the queue is full.</exception>
    public async ValueTask EnsureAcceptingAsync(CancellationToken cancellationToken)
    {
        switch (pool.CheckVacancy())
        {
            case SlotPool.Vacancy.Stopping:
                throw new JobRejectedException(JobRejectionReason.ShuttingDown, options.QueueFullRetryAfter);
            case SlotPool.Vacancy.SlotFree:
                return;
        }

        if (options.MaxQueuedJobs == 0 || await topology.CountQueuedAsync(options.MaxQueuedJobs, cancellationToken).ConfigureAwait(false) >= options.MaxQueuedJobs)
        {
            throw new JobRejectedException(JobRejectionReason.QueueFull, options.QueueFullRetryAfter);
        }
    }
}
