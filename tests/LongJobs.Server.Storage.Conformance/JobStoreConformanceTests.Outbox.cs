using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// The <see cref="IJobOutbox"/> role: a job that finishes with notifications is due at once; claims hold jobs under a
/// lease, one claimant at a time; a release makes them due again later, or takes them out for good. Jobs finish through
/// the store, as they do on a server, so every store can put them in its outbox in the change that finishes them.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly TimeSpan OutboxLease = TimeSpan.FromMinutes(1);

    private static readonly JobNotifications Webhook = new() { CallbackUrl = "https://example.com/hooks/jobs" };

    /// <summary>The ways a job finishes through the store; each puts a job that asked to be told in the outbox.</summary>
    public enum FinishingPath
    {
        /// <summary>Its run ends with an outcome.</summary>
        Outcome,

        /// <summary>Its run fails.</summary>
        Failure,

        /// <summary>It is cancelled before it ran (<see cref="IJobAttempts.TryFinishAsync"/> from <see cref="JobStatus.Queued"/>).</summary>
        CancelWhileQueued,

        /// <summary>Someone asks to cancel it while it is queued (<see cref="IJobRecords.RequestCancellationAsync"/>).</summary>
        CancellationRequestWhileQueued,

        /// <summary>Its server hands it back, but someone asked to cancel it (<see cref="IQueuedJobs.TryRequeueAsync"/>).</summary>
        RequeueAfterCancellationRequest,
    }

    [Fact]
    public async Task ClaimDueNotifications_AJobFinishedWithNotifications_IsDueAtOnce_AndAJobWithoutIsNever()
    {
        var store = CreateStore();
        var notified = await FinishWithNotificationsAsync(store, T0.AddSeconds(5), Webhook);
        var byEmail = await FinishWithNotificationsAsync(store, T0.AddSeconds(5), new JobNotifications { Email = "ops@example.com" });
        await FinishWithNotificationsAsync(store, T0.AddSeconds(5), notifications: null);
        await FinishWithNotificationsAsync(store, T0.AddSeconds(5), new JobNotifications());

        var claimed = await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(5), OutboxLease, limit: 10);

        Assert.Equal(2, claimed.Count);
        AssertSameJob(notified, Assert.Single(claimed, job => job.Id == notified.Id));
        AssertSameJob(byEmail, Assert.Single(claimed, job => job.Id == byEmail.Id));

        // Long after, once their lease ran out, the same two are due again, and the others still are not.
        var later = await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddDays(30), OutboxLease, limit: 10);
        Assert.Equal(new[] { notified.Id, byEmail.Id }.Order(), later.Select(job => job.Id).Order());
    }

    [Theory]
    [InlineData(FinishingPath.Outcome)]
    [InlineData(FinishingPath.Failure)]
    [InlineData(FinishingPath.CancelWhileQueued)]
    [InlineData(FinishingPath.CancellationRequestWhileQueued)]
    [InlineData(FinishingPath.RequeueAfterCancellationRequest)]
    public async Task ClaimDueNotifications_AfterAnyWayOfFinishing_TakesTheJob(FinishingPath path)
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewRegisteredJob("k", T0) with { Notifications = Webhook });
        var finishedAt = T0.AddSeconds(5);
        if (path is FinishingPath.Outcome or FinishingPath.Failure or FinishingPath.RequeueAfterCancellationRequest)
        {
            Assert.NotNull(await store.TryStartAsync(job.Id, T0.AddSeconds(1)));
        }

        if (path is FinishingPath.RequeueAfterCancellationRequest)
        {
            await store.RequestCancellationAsync(job.Id, T0.AddSeconds(2));
        }

        var finished = path switch
        {
            FinishingPath.Outcome => await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(finishedAt)),
            FinishingPath.Failure => await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Failed, finishedAt, Error: new JobError("urn:test:failed", "It failed."))),
            FinishingPath.CancelWhileQueued => await store.TryFinishAsync(job.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, finishedAt)),
            FinishingPath.CancellationRequestWhileQueued => await store.RequestCancellationAsync(job.Id, finishedAt),
            _ => await store.TryRequeueAsync(job.Id, 1, "Waiting for a server.", finishedAt),
        };

        Assert.True(finished!.Status.IsFinished());
        AssertSameJob(finished, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), finishedAt, OutboxLease, limit: 10)));
    }

    [Fact]
    public async Task ClaimDueNotifications_NeverTakesAJobThatHasNotFinished()
    {
        var store = CreateStore();
        await store.InsertAsync(NewRegisteredJob("k", T0) with { Notifications = Webhook });
        var running = await store.InsertAsync(NewJob("k", T0) with { Notifications = Webhook });
        await store.TryStartAsync(running.Id, T0.AddSeconds(1));
        var requeued = await store.InsertAsync(NewRegisteredJob("k", T0) with { Notifications = Webhook });
        await store.TryStartAsync(requeued.Id, T0.AddSeconds(1));
        await store.TryRequeueAsync(requeued.Id, 1, "Waiting for a server.", T0.AddSeconds(2));

        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddDays(30), OutboxLease, limit: 10));
    }

    [Fact]
    public async Task ClaimDueNotifications_TakesAtMostTheLimit_TheEarliestDue_AndLeavesTheRestForTheNextClaim()
    {
        var store = CreateStore();
        var third = await FinishWithNotificationsAsync(store, T0.AddSeconds(3), Webhook);
        var first = await FinishWithNotificationsAsync(store, T0.AddSeconds(1), Webhook);
        var second = await FinishWithNotificationsAsync(store, T0.AddSeconds(2), Webhook);
        var notDueYet = await FinishWithNotificationsAsync(store, T0.AddSeconds(20), Webhook);

        var claimed = await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(10), OutboxLease, limit: 2);
        var next = await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(10), OutboxLease, limit: 2);

        Assert.Equal(new[] { first.Id, second.Id }.Order(), claimed.Select(job => job.Id).Order());
        Assert.Equal(third.Id, Assert.Single(next).Id);
        Assert.Equal(notDueYet.Id, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(20), OutboxLease, limit: 2)).Id);
    }

    [Fact]
    public async Task ClaimDueNotifications_AJobUnderARunningLease_IsNotTakenByAnotherClaimant_UntilTheLeaseRunsOut()
    {
        var store = CreateStore();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0, OutboxLease, limit: 10));

        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0 + OutboxLease - TimeSpan.FromMilliseconds(1), OutboxLease, limit: 10));
        Assert.Equal(job.Id, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0 + OutboxLease, OutboxLease, limit: 10)).Id);
    }

    [Fact]
    public async Task ClaimDueNotifications_ReturnsTheDeliveriesSoFar_AndChangesNothingUsersSee()
    {
        var store = CreateStore();
        var claimant = Guid.NewGuid();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0, OutboxLease, limit: 10));
        var attempt = new NotificationDelivery { Channel = NotificationChannels.Webhook, Status = NotificationDeliveryStatus.Pending, Attempts = 1, LastAttemptAt = T0.AddSeconds(1), LastError = "HTTP 503" };
        var recorded = await store.RecordDeliveryAsync(job.Id, attempt);
        await store.ReleaseNotificationsAsync(job.Id, claimant, T0.AddSeconds(30));

        var reclaimed = Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(30), OutboxLease, limit: 10));

        Assert.Equal([attempt], reclaimed.Deliveries);
        AssertSameJob(recorded, reclaimed);
        AssertSameJob(recorded, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task ReleaseNotifications_WithALaterDueTime_MakesTheJobDueAgainAtIt_AndNotBefore()
    {
        var store = CreateStore();
        var claimant = Guid.NewGuid();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0, OutboxLease, limit: 10));

        await store.ReleaseNotificationsAsync(job.Id, claimant, T0.AddMinutes(5));

        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddMinutes(5) - TimeSpan.FromMilliseconds(1), OutboxLease, limit: 10));
        Assert.Equal(job.Id, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddMinutes(5), OutboxLease, limit: 10)).Id);
    }

    [Fact]
    public async Task ReleaseNotifications_WithADueTimeWithinTheLease_LetsAnyClaimantTakeTheJobThen()
    {
        var store = CreateStore();
        var claimant = Guid.NewGuid();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0, OutboxLease, limit: 10));

        await store.ReleaseNotificationsAsync(job.Id, claimant, T0.AddSeconds(1));

        Assert.Equal(job.Id, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(1), OutboxLease, limit: 10)).Id);
    }

    [Fact]
    public async Task ReleaseNotifications_ByAClaimantThatDoesNotHoldTheJob_DoesNothing()
    {
        var store = CreateStore();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(first, T0, OutboxLease, limit: 10));

        // A claimant that never held it: the first claimant's lease still holds.
        await store.ReleaseNotificationsAsync(job.Id, Guid.NewGuid(), nextDueAt: null);
        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddSeconds(1), OutboxLease, limit: 10));

        // The first claimant's lease ran out and the second took the job: the first no longer releases it.
        Assert.Single(await store.ClaimDueNotificationsAsync(second, T0 + OutboxLease, OutboxLease, limit: 10));
        await store.ReleaseNotificationsAsync(job.Id, first, nextDueAt: null);
        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0 + OutboxLease + TimeSpan.FromSeconds(1), OutboxLease, limit: 10));
        Assert.Equal(job.Id, Assert.Single(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0 + (2 * OutboxLease), OutboxLease, limit: 10)).Id);
    }

    [Fact]
    public async Task ReleaseNotifications_WithNoNextDueTime_TakesTheJobOutForGood()
    {
        var store = CreateStore();
        var claimant = Guid.NewGuid();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);
        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0, OutboxLease, limit: 10));

        await store.ReleaseNotificationsAsync(job.Id, claimant, nextDueAt: null);

        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddDays(30), OutboxLease, limit: 10));
        Assert.Equal(JobStatus.Succeeded, (await store.GetAsync(job.Id))!.Status);
    }

    [Fact]
    public async Task ReleaseNotifications_OfAnUnknownJob_DoesNothing()
    {
        var store = CreateStore();

        await store.ReleaseNotificationsAsync(Guid.NewGuid(), Guid.NewGuid(), T0);

        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddDays(30), OutboxLease, limit: 10));
    }

    [Fact]
    public async Task TryDeleteFinished_OfAJobWhoseNotificationsAreDue_RemovesItWithThem()
    {
        var store = CreateStore();
        var job = await FinishWithNotificationsAsync(store, T0, Webhook);

        Assert.True(await store.TryDeleteFinishedAsync(job.Id));

        Assert.Null(await store.GetAsync(job.Id));
        Assert.Empty(await store.ClaimDueNotificationsAsync(Guid.NewGuid(), T0.AddDays(30), OutboxLease, limit: 10));
    }

    /// <summary>Inserts a job that asks for <paramref name="notifications"/>, runs it and finishes it at <paramref name="finishedAt"/>, through the store.</summary>
    private static async Task<JobRecord> FinishWithNotificationsAsync(IJobStore store, DateTimeOffset finishedAt, JobNotifications? notifications)
    {
        var job = await store.InsertAsync(NewJob("k", T0) with { Notifications = notifications });
        var running = await store.TryStartAsync(job.Id, T0) ?? throw new InvalidOperationException("The job did not start.");
        return await store.TryFinishAsync(job.Id, JobStatus.Running, running.Attempt, Succeeded(finishedAt)) ?? throw new InvalidOperationException("The job did not finish.");
    }
}
