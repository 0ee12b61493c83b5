using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Refuses new jobs while the host stops (503), or when they would have to wait (no slot is free here for them) and the
/// store's queue has no room for them under <see cref="LongJobsOptions.MaxQueuedJobs"/> (429; on a shared store, by a
/// recent count). A batch is admitted or refused whole.
/// </summary>
internal sealed class AdmissionGate(SlotPool pool, StoreTopology topology, LongJobsOptions options)
{
    /// <exception cref="JobRejectedException">The host stops, or the queue is full.</exception>
    public ValueTask EnsureAcceptingAsync(CancellationToken cancellationToken) => EnsureAcceptingAsync(1, cancellationToken);

    /// <summary>
    /// Admits a job started for later: refused while the host stops, and while the queue is full (it will join the queue,
    /// and a client refused a start must not get round the limit by asking for a later one). Free slots do not admit it.
    /// </summary>
    /// <exception cref="JobRejectedException">The host stops, or the queue is full.</exception>
    public async ValueTask EnsureAcceptingScheduledAsync(CancellationToken cancellationToken)
    {
        if (!pool.TryCountFreeSlots(out _))
        {
            throw new JobRejectedException(JobRejectionReason.ShuttingDown, options.QueueFullRetryAfter);
        }

        if (await topology.CountQueuedAsync(options.MaxQueuedJobs, cancellationToken).ConfigureAwait(false) >= options.MaxQueuedJobs)
        {
            throw new JobRejectedException(JobRejectionReason.QueueFull, options.QueueFullRetryAfter);
        }
    }

    /// <summary>Admits <paramref name="count"/> new jobs together: all fit in the free slots and the queue's room, or none is admitted.</summary>
    /// <exception cref="JobRejectedException">The host stops, or the queue has no room for all of them.</exception>
    public async ValueTask EnsureAcceptingAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!pool.TryCountFreeSlots(out var free))
        {
            throw new JobRejectedException(JobRejectionReason.ShuttingDown, options.QueueFullRetryAfter);
        }

        if (count <= free)
        {
            return;
        }

        var waiting = count - free;
        if (waiting > options.MaxQueuedJobs
            || await topology.CountQueuedAsync(options.MaxQueuedJobs, cancellationToken).ConfigureAwait(false) > options.MaxQueuedJobs - waiting)
        {
            throw new JobRejectedException(JobRejectionReason.QueueFull, options.QueueFullRetryAfter);
        }
    }
}
