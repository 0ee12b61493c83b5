using System.Net;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Notifications.Delivery;

/// <summary>
/// The outbox worker survives what the store and the channels throw, and a stop in the middle of an attempt leaves the
/// notification due again at once, for the next server (issue 13).
/// </summary>
public sealed class OutboxWorkerTests
{
    private const int ActivityFailedEvent = 44;
    private const int ActivityRecoveredEvent = 45;
    private const int ChannelThrewEvent = 24;

    /// <summary>The poll interval of <see cref="WebhookTestApi"/>: the worker's wait when nothing it scheduled is due.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task AnOutboxThatFailsAsNoStoreShould_IsLoggedOnceWithItsStack_AndTheWebhookGoesOutOnceItWorksAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.OK);
        await using var api = await WebhookTestApi.StartAsync(addServices: services =>
            services.AddSingleton<IJobStore>(provider => new FaultyJobStore(provider.GetRequiredService<TimeProvider>())));
        var store = (FaultyJobStore)api.Store;
        store.OutboxFailure = new InvalidOperationException("The outbox failed as it never should.");

        var id = await api.StartGatedAsync("a", receiver.Url);
        api.Gates["a"].Release();
        var failed = await api.Logs.WaitForAsync(ActivityFailedEvent);
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Same(store.OutboxFailure, failed.Exception);
        Assert.Contains("Taking due notifications from the outbox", failed.Message, StringComparison.Ordinal);

        // The loop looks again after its poll interval, and this time the outbox works. It waited once since it started
        // (before or after the first failed claim), and waits again after the claim the job's end woke it for.
        await api.WaitUntilFinishedAsync(id);
        store.OutboxFailure = null;
        await api.Time.WaitForTimerAsync(PollInterval, count: 2);
        api.Time.Advance(PollInterval);
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Delivered);

        Assert.Equal(1, delivery.Attempts);
        Assert.Single(receiver.Requests);
        await api.Logs.WaitForAsync(ActivityRecoveredEvent);
        Assert.Single(api.Logs.Entries, entry => entry.EventId == ActivityFailedEvent);
    }

    [Fact]
    public async Task AChannelThatThrows_FailsItsAttempt_WhichIsMadeAgainOnItsSchedule_AndOtherJobsAreStillNotified()
    {
        var channel = new ThrowingOnceChannel();
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.OK);
        await using var api = await WebhookTestApi.StartAsync(addServices: services => services.AddSingleton<INotificationChannel>(channel));

        var id = await api.StartGatedAsync("a", receiver.Url);
        api.Gates["a"].Release();
        var threw = await api.Logs.WaitForAsync(ChannelThrewEvent);
        Assert.IsType<InvalidOperationException>(threw.Exception);
        var pending = await api.WaitForDeliveryAsync(id, ThrowingOnceChannel.ChannelName, NotificationDeliveryStatus.Pending);
        Assert.Equal("The throwing channel failed unexpectedly (InvalidOperationException).", pending.LastError);
        Assert.Equal(NotificationDeliveryStatus.Delivered, (await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Delivered)).Status);

        await api.WaitForBackoffAsync(retry: 1);
        api.Time.Advance(WebhookTestApi.MaxDelay);
        var delivered = await api.WaitForDeliveryAsync(id, ThrowingOnceChannel.ChannelName, NotificationDeliveryStatus.Delivered);

        Assert.Equal(2, delivered.Attempts);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task AStopInTheMiddleOfAnAttempt_CutsItShort_AndLeavesTheNotificationDueAtOnce()
    {
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await WebhookReceiver.StartAsync(async (context, _) =>
        {
            hanging.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        var api = await WebhookTestApi.StartAsync(configureLongJobs: options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));
        await using (api)
        {
            var id = await api.StartGatedAsync("a", receiver.Url);
            api.Gates["a"].Release();
            await hanging.Task.WithSafetyTimeout();

            // The stop waits for the attempt up to the shutdown timeout, then cuts it short.
            var stop = api.App.StopAsync();
            await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
            api.Time.Advance(TimeSpan.FromSeconds(5));
            await stop.WithSafetyTimeout();

            Assert.Contains(api.Logs.Entries, entry => entry.EventId == 25);
            var job = await api.Store.GetAsync(id);
            Assert.Empty(job!.Deliveries);
            var due = await api.Store.ClaimDueNotificationsAsync(Guid.NewGuid(), api.Time.GetUtcNow(), TimeSpan.FromMinutes(1), limit: 10);
            Assert.Equal(id, Assert.Single(due).Id);
        }
    }

    /// <summary>A channel every job asks for, whose first attempt throws and whose later ones deliver.</summary>
    private sealed class ThrowingOnceChannel : INotificationChannel
    {
        public const string ChannelName = "throwing";

        private int _attempts;

        public string Name => ChannelName;

        public IReadOnlyList<TimeSpan> RetryDelays { get; } = [WebhookTestApi.RetryDelay];

        public bool IsRequested(JobNotifications notifications) => true;

        public string? Validate(JobNotifications notifications) => null;

        public Task<DeliveryAttemptResult> SendAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _attempts) == 1
                ? throw new InvalidOperationException("The channel failed as it never should.")
                : Task.FromResult(DeliveryAttemptResult.Delivered);
    }
}
