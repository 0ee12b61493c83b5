using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The delivery log (<see cref="IJobDeliveryLog"/>).</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return ValueTask.FromResult(Update(id, delivery, static (job, version, delivery) => job with
        {
            Deliveries = [.. job.Deliveries.Where(other => other.Channel != delivery.Channel), delivery],
            Version = version,
        }));
    }
}
