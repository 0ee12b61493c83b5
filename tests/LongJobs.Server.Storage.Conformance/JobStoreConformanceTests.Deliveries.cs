using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobDeliveryLog"/> role: the record of notification deliveries.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task RecordDelivery_ReplacesTheRecordOfItsChannel_KeepsTheOthers_AndChangesTheVersionOnly()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(5));
        var pending = new NotificationDelivery { Channel = NotificationChannels.Webhook, Status = NotificationDeliveryStatus.Pending, Attempts = 1, LastAttemptAt = T0.AddSeconds(6), LastError = "HTTP 500" };
        var email = new NotificationDelivery { Channel = NotificationChannels.Email, Status = NotificationDeliveryStatus.Delivered, Attempts = 1, LastAttemptAt = T0.AddSeconds(6) };
        var delivered = pending with { Status = NotificationDeliveryStatus.Delivered, Attempts = 2, LastAttemptAt = T0.AddSeconds(8), LastError = null };

        await store.RecordDeliveryAsync(job.Id, pending);
        await store.RecordDeliveryAsync(job.Id, email);
        var recorded = await store.RecordDeliveryAsync(job.Id, delivered);

        Assert.NotNull(recorded);
        Assert.Equal(job.Version + 3, recorded.Version);
        Assert.Equal(JobStatus.Succeeded, recorded.Status);
        Assert.Equal(job.CompletedAt, recorded.CompletedAt);
        Assert.Equal([delivered, email], recorded.Deliveries.OrderByDescending(delivery => delivery.Channel, StringComparer.Ordinal));
        AssertSameJob(recorded, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task RecordDelivery_OfAnUnknownJob_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.RecordDeliveryAsync(Guid.NewGuid(), new NotificationDelivery { Channel = NotificationChannels.Webhook }));
    }
}
