using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>How the deliveries of finished jobs' notifications went, a role of <see cref="IJobStore"/>: what notification channels write.</summary>
public interface IJobDeliveryLog
{
    /// <summary>
    /// Records how the delivery of one of a job's notifications went, replacing the previous record for the same
    /// <see cref="NotificationDelivery.Channel"/>; the job's status does not change, its version does.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="delivery">The delivery's state.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is unknown or was removed.</returns>
    ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default);
}
