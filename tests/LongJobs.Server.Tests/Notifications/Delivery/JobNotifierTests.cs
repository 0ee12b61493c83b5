using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Delivery;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Notifications.Delivery;

/// <summary>What the notifier records for channels a job asked for: those this server has, and those it lacks.</summary>
public sealed class JobNotifierTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AChannelThisServerLacks_FailsItsAttempt_AndIsDueAgainOnTheStandardSchedule_ForAServerThatHasIt()
    {
        var time = new ObservedFakeTimeProvider();
        time.SetUtcNow(T0);
        var options = Options.Create(new LongJobsOptions());
        var store = new InMemoryJobStore(options, time);
        var job = await FinishAsync(store, new JobNotifications { Email = "someone@example.test" });
        var notifier = new JobNotifier([], store, new JobLinks(options), time, NullLogger<JobNotifier>.Instance);

        var next = await notifier.DeliverDueAsync(job, CancellationToken.None);

        var delivery = Assert.Single((await store.GetAsync(job.Id))!.Deliveries);
        Assert.Equal((NotificationChannels.Email, NotificationDeliveryStatus.Pending, 1), (delivery.Channel, delivery.Status, delivery.Attempts));
        Assert.Contains("has no email channel", delivery.LastError, StringComparison.Ordinal);
        var wait = DeliverySchedules.StandardWebhooks[0];
        Assert.InRange(next!.Value, T0 + (wait * 0.8), T0 + (wait * 1.2));
        Assert.Equal(delivery.NextAttemptAt, next);
    }

    private static async Task<JobRecord> FinishAsync(InMemoryJobStore store, JobNotifications notifications)
    {
        var job = await store.InsertAsync(new JobRecord { Id = Guid.NewGuid(), Kind = "k", CreatedAt = T0, Notifications = notifications });
        var running = await store.TryStartAsync(job.Id, T0);
        return (await store.TryFinishAsync(job.Id, JobStatus.Running, running!.Attempt, new JobOutcome(JobStatus.Succeeded, T0)))!;
    }
}
