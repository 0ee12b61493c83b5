using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// <see cref="IJobRecords.TryDeleteFinishedAsync"/> (what <c>DELETE /api/jobs/{id}</c> does), the waits that progress
/// wakes (the conditional long-poll), and <see cref="IJobStoreDurability.InMemorySince"/>.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task TryDeleteFinished_FinishedJob_RemovesIt()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));

        Assert.True(await store.TryDeleteFinishedAsync(job.Id));

        Assert.Null(await store.GetAsync(job.Id));
        Assert.Null(await store.WaitForChangeAsync(job.Id, job.Version).WithSafetyTimeout());
    }

    [Theory]
    [InlineData(JobStatus.Queued)]
    [InlineData(JobStatus.Running)]
    public async Task TryDeleteFinished_UnfinishedJob_KeepsItUnchanged(JobStatus status)
    {
        var store = CreateStore();
        var job = status == JobStatus.Queued ? await store.InsertAsync(NewJob("k", T0)) : await InsertRunningAsync(store, "k", T0);

        Assert.False(await store.TryDeleteFinishedAsync(job.Id));

        AssertSameJob(job, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task TryDeleteFinished_UnknownId_ReturnsFalse()
    {
        var store = CreateStore();

        Assert.False(await store.TryDeleteFinishedAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task TryDeleteFinished_Twice_RemovesOnce()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.TryDeleteFinishedAsync(job.Id).AsTask()));

        Assert.Single(results, removed => removed);
    }

    [Fact]
    public async Task TryDeleteFinished_LeavesOtherJobsAlone()
    {
        var store = CreateStore();
        var deleted = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        var finished = await InsertFinishedAsync(store, "k", T0.AddSeconds(1), T0.AddSeconds(3));
        var running = await InsertRunningAsync(store, "k", T0.AddSeconds(2));
        var queued = await store.InsertAsync(NewJob("k", T0.AddSeconds(3)));

        await store.TryDeleteFinishedAsync(deleted.Id);

        AssertSameJob(finished, await store.GetAsync(finished.Id));
        AssertSameJob(running, await store.GetAsync(running.Id));
        AssertSameJob(queued, await store.GetAsync(queued.Id));
    }

    [Fact]
    public async Task TryDeleteFinished_WakesAWaiterOfTheJob_WithNothing()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        var waiting = store.WaitForChangeAsync(job.Id, job.Version).AsTask();
        Assert.False(waiting.IsCompleted);

        await store.TryDeleteFinishedAsync(job.Id);

        Assert.Null(await waiting.WithSafetyTimeout());
    }

    [Fact]
    public async Task TryDeleteFinished_FreesTheIdempotencyKey_OfItsOwnerOnly()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var alice = "alice-" + Guid.NewGuid();
        var bob = "bob-" + Guid.NewGuid();
        var ofAlice = await store.InsertAsync(NewJob("k", T0) with { Owner = alice, IdempotencyKey = key });
        var ofBob = await store.InsertAsync(NewJob("k", T0) with { Owner = bob, IdempotencyKey = key });
        await store.TryFinishAsync(ofAlice.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));
        await store.TryFinishAsync(ofBob.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));

        Assert.True(await store.TryDeleteFinishedAsync(ofAlice.Id));
        var alicesNew = await store.InsertAsync(NewJob("k", T0.AddMinutes(1)) with { Owner = alice, IdempotencyKey = key });
        var bobsAgain = await store.InsertAsync(NewJob("k", T0.AddMinutes(1)) with { Owner = bob, IdempotencyKey = key });

        Assert.NotEqual(ofAlice.Id, alicesNew.Id);
        Assert.Equal(JobStatus.Queued, alicesNew.Status);
        Assert.Equal(ofBob.Id, bobsAgain.Id);
    }

    [Fact]
    public async Task TryDeleteFinished_ThenRetention_RemovesOnlyTheOthers()
    {
        var store = CreateStore();
        var deleted = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(1));
        var expired = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        var kept = await InsertFinishedAsync(store, "k", T0, T0.AddMinutes(10));
        await store.TryDeleteFinishedAsync(deleted.Id);

        var removed = await store.DeleteFinishedAsync(T0.AddMinutes(5), keepAtMost: 100);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(expired.Id));
        Assert.NotNull(await store.GetAsync(kept.Id));
    }

    [Fact]
    public async Task WaitForChange_WhenProgressIsReported_WakesWithTheNewProgressAndVersion()
    {
        var store = CreateStore();
        var running = await InsertRunningAsync(store, "k", T0);
        var waiting = store.WaitForChangeAsync(running.Id, running.Version).AsTask();
        Assert.False(waiting.IsCompleted);

        var progressed = await store.TryReportProgressAsync(running.Id, 1, 0.4, "step 2 of 5");
        var seen = await waiting.WithSafetyTimeout();

        Assert.True(progressed!.Version > running.Version);
        AssertSameJob(progressed, seen);
        Assert.Equal(0.4, seen!.Progress);
        Assert.Equal("step 2 of 5", seen.ProgressMessage);
    }

    [Fact]
    public async Task WaitForChange_WhenTheSameProgressIsReportedAgain_StillWakes()
    {
        var store = CreateStore();
        var running = await InsertRunningAsync(store, "k", T0);
        var first = await store.TryReportProgressAsync(running.Id, 1, 0.5, "half");
        var waiting = store.WaitForChangeAsync(running.Id, first!.Version).AsTask();

        var again = await store.TryReportProgressAsync(running.Id, 1, 0.5, "half");

        Assert.True(again!.Version > first.Version);
        AssertSameJob(again, await waiting.WithSafetyTimeout());
    }

    [Fact]
    public void InMemorySince_IsSetExactlyWhenTheStoreIsNotDurable()
    {
        var store = CreateStore();

        Assert.Equal(store.IsDurable, store.InMemorySince is null);
    }
}
