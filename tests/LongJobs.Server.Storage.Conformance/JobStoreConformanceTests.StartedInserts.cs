using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// Jobs inserted started (<see cref="IJobRecords.InsertStartedAsync"/>): running in their first attempt from their
/// insert, never in the queue; queued instead when their kind is paused; keys hold as for any insert.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task InsertStarted_AddsTheJobRunningInItsFirstAttempt_AndNeverQueued()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = NewRegisteredJob(kind, T0);

        var stored = await store.InsertStartedAsync(job, T0.AddSeconds(1));

        Assert.Equal((job.Id, JobStatus.Running, 1, T0.AddSeconds(1), 0d), (stored.Id, stored.Status, stored.Attempt, stored.StartedAt, stored.Progress));
        AssertSameJob(stored, await store.GetAsync(job.Id));
        Assert.Equal(0, await store.CountQueuedAsync(10));
        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(2)));
        var attempt = Assert.Single((await store.GetHistoryAsync(job.Id))!.Attempts);
        Assert.Equal((1, T0.AddSeconds(1), (DateTimeOffset?)null), (attempt.Number, attempt.StartedAt, attempt.EndedAt));

        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(3), "7"));

        Assert.Equal(JobStatus.Succeeded, finished?.Status);
        Assert.Equal(JobAttemptOutcome.Succeeded, Assert.Single((await store.GetHistoryAsync(job.Id))!.Attempts).Outcome);
    }

    [Fact]
    public async Task InsertStarted_OfAPausedKind_AddsTheJobQueued_ForAClaimOnceTheKindResumes()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await store.PauseKindAsync(kind, T0);

        var stored = await store.InsertStartedAsync(NewRegisteredJob(kind, T0), T0.AddSeconds(1));

        Assert.Equal((JobStatus.Queued, 0, (DateTimeOffset?)null), (stored.Status, stored.Attempt, stored.StartedAt));
        Assert.Equal(1, await store.CountQueuedAsync(10));
        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(2)));

        await store.ResumeKindAsync(kind);

        Assert.Equal([stored.Id], (await store.ClaimAsync([kind], 10, T0.AddSeconds(3))).Select(job => job.Id));
    }

    [Fact]
    public async Task InsertStarted_WithKeysAnotherJobHolds_AddsNothing_AndAnswersThatJobUnstarted()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var keyed = await store.InsertAsync(NewRegisteredJob(kind, T0) with { Owner = "alice", IdempotencyKey = "order-1" });
        var unique = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "customer-1" });

        var repeat = NewRegisteredJob(kind, T0.AddSeconds(1)) with { Owner = "alice", IdempotencyKey = "order-1" };
        var duplicate = NewRegisteredJob(kind, T0.AddSeconds(1)) with { UniqueKey = "customer-1" };

        AssertSameJob(keyed, await store.InsertStartedAsync(repeat, T0.AddSeconds(2)));
        AssertSameJob(unique, await store.InsertStartedAsync(duplicate, T0.AddSeconds(2)));
        Assert.Null(await store.GetAsync(repeat.Id));
        Assert.Null(await store.GetAsync(duplicate.Id));
        Assert.Equal(2, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task InsertStarted_HoldsItsUniqueKey_UntilItFinishes()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var started = await store.InsertStartedAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "customer-1" }, T0);

        AssertSameJob(started, await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(1)) with { UniqueKey = "customer-1" }));

        await store.TryFinishAsync(started.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(2)));
        var next = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(3)) with { UniqueKey = "customer-1" });

        Assert.NotEqual(started.Id, next.Id);
        Assert.Equal(JobStatus.Queued, next.Status);
    }

    [Fact]
    public async Task InsertStarted_CountsAgainstAKindsRunningLimit()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await store.InsertStartedAsync(NewRegisteredJob(kind, T0), T0);
        await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(1)));

        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(2), new Dictionary<string, int> { [kind] = 1 }));
        Assert.Single(await store.ClaimAsync([kind], 10, T0.AddSeconds(2), new Dictionary<string, int> { [kind] = 2 }));
    }

    [Fact]
    public async Task InsertStarted_ConcurrentWithInserts_StartsExactlyTheJobsInsertedStarted()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var jobs = Enumerable.Range(0, 40).Select(i => NewRegisteredJob(kind, T0.AddMilliseconds(i))).ToList();

        var stored = await Task.WhenAll(jobs.Select((job, i) => i % 2 == 0
            ? store.InsertStartedAsync(job, T0.AddSeconds(1)).AsTask()
            : store.InsertAsync(job).AsTask()));

        Assert.Equal(jobs.Select(job => job.Id), stored.Select(job => job.Id));
        Assert.Equal(jobs.Select((_, i) => i % 2 == 0 ? JobStatus.Running : JobStatus.Queued), stored.Select(job => job.Status));
        Assert.Equal(20, await store.CountQueuedAsync(100));
        Assert.Equal(
            stored.Where(job => job.Status == JobStatus.Queued).Select(job => job.Id).Order(),
            (await store.ClaimAsync([kind], 100, T0.AddSeconds(2))).Select(job => job.Id).Order());
    }

    [Fact]
    public async Task InsertStarted_OfAnAdHocJob_AddsItRunningInItsFirstAttempt_AndItFinishesFromThere()
    {
        var store = CreateStore();
        var job = NewJob(UniqueKind(), T0);

        var stored = await store.InsertStartedAsync(job, T0.AddSeconds(1));

        Assert.Equal((job.Id, JobStatus.Running, 1, T0.AddSeconds(1)), (stored.Id, stored.Status, stored.Attempt, stored.StartedAt));
        AssertSameJob(stored, await store.GetAsync(job.Id));
        Assert.Null(await store.TryStartAsync(job.Id, T0.AddSeconds(2)));

        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(3), "7"));

        Assert.Equal((JobStatus.Succeeded, 1), (finished?.Status, finished?.Attempt));
        Assert.Equal(JobAttemptOutcome.Succeeded, Assert.Single((await store.GetHistoryAsync(job.Id))!.Attempts).Outcome);
    }

    [Fact]
    public async Task InsertStarted_OfAJobScheduledForLater_Throws_AndAddsNothing()
    {
        var store = CreateStore();
        var scheduled = NewRegisteredJob(UniqueKind(), T0) with { Status = JobStatus.Scheduled, NotBefore = T0.AddHours(1) };

        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertStartedAsync(scheduled, T0).AsTask());
        Assert.Null(await store.GetAsync(scheduled.Id));
    }

    [Fact]
    public async Task Insert_OfAJobGivenAsRunning_QueuesIt()
    {
        var store = CreateStore();
        var job = NewRegisteredJob(UniqueKind(), T0) with { Status = JobStatus.Running, StartedAt = T0, Attempt = 1 };

        var stored = await store.InsertAsync(job);

        Assert.Equal((JobStatus.Queued, 0, (DateTimeOffset?)null), (stored.Status, stored.Attempt, stored.StartedAt));
    }
}
