using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.Conformance;
using LongJobs.Server.Storage.InMemory;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Storage.InMemory;

/// <summary>The store contract on <see cref="InMemoryJobStore"/>, plus what only the in-memory store does.</summary>
public sealed class InMemoryJobStoreTests : JobStoreConformanceTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    protected override IJobStore CreateStore() => Create(new LongJobsOptions());

    [Fact]
    public async Task TryFinish_BeyondMaxRetainedJobs_RemovesTheOldestFinishedAtOnce()
    {
        var store = Create(new LongJobsOptions { MaxRetainedJobs = 3 });
        var unfinished = await store.InsertAsync(NewJob("k", T0));
        var finished = new List<JobRecord>();
        for (var i = 0; i < 5; i++)
        {
            finished.Add(await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(i)));
        }

        Assert.Equal(4, store.Count);
        Assert.Null(await store.GetAsync(finished[0].Id));
        Assert.Null(await store.GetAsync(finished[1].Id));
        foreach (var job in finished.Skip(2))
        {
            Assert.NotNull(await store.GetAsync(job.Id));
        }

        Assert.NotNull(await store.GetAsync(unfinished.Id));
    }

    [Fact]
    public async Task TryFinish_WithAnUnfinishedOutcome_Throws()
    {
        var store = Create(new LongJobsOptions());
        var job = await InsertRunningAsync(store, "k", T0);

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Running, T0)));
        Assert.Equal(JobStatus.Running, (await store.GetAsync(job.Id))!.Status);
    }

    [Fact]
    public async Task TryFinish_AsSucceeded_SetsProgressToOne()
    {
        var store = Create(new LongJobsOptions());
        var job = await InsertRunningAsync(store, "k", T0);
        await store.TryReportProgressAsync(job.Id, 1, 0.3, "part way");

        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(1)));

        Assert.Equal(1, finished!.Progress);
    }

    [Fact]
    public async Task DeleteFinished_WithNegativeKeepAtMost_Throws()
    {
        var store = Create(new LongJobsOptions());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.DeleteFinishedAsync(T0, keepAtMost: -1));
    }

    [Fact]
    public async Task Count_AfterJobsAreRemoved_CountsOnlyWhatIsLeft()
    {
        var store = Create(new LongJobsOptions());
        await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(1));
        await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        await store.InsertAsync(NewJob("k", T0));

        await store.DeleteFinishedAsync(T0.AddSeconds(3), keepAtMost: 100);

        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void InMemorySince_IsWhenTheStoreWasCreated()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);

        var store = new InMemoryJobStore(Options.Create(new LongJobsOptions()), time);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(T0, store.InMemorySince);
    }

    [Fact]
    public async Task TryDeleteFinished_ThenMoreFinishedJobs_KeepsMaxRetainedJobs()
    {
        var store = Create(new LongJobsOptions { MaxRetainedJobs = 2 });
        var first = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(1));
        var second = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        await store.TryDeleteFinishedAsync(first.Id);

        var third = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(3));

        Assert.Equal(2, store.Count);
        Assert.NotNull(await store.GetAsync(second.Id));
        Assert.NotNull(await store.GetAsync(third.Id));
        var fourth = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(4));
        Assert.Equal(2, store.Count);
        Assert.Null(await store.GetAsync(second.Id));
        Assert.NotNull(await store.GetAsync(fourth.Id));
    }

    private static InMemoryJobStore Create(LongJobsOptions options) => new(Options.Create(options), TimeProvider.System);
}
