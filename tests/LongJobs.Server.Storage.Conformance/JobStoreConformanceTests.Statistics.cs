using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobStatistics"/> role: the overview's counts of unfinished jobs, and of finished ones in a window, per bucket.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task CountJobs_CountsUnfinishedJobsNow_AndFinishedOnesInTheWindow_ByKindStatusAndMinute()
    {
        var store = CreateStore();
        await store.InsertAsync(NewJob("a", T0));
        await store.InsertAsync(NewRegisteredJob("a", T0));
        await store.InsertAsync(NewRegisteredJob("b", T0) with { Status = JobStatus.Scheduled, NotBefore = T0.AddHours(1) });
        await InsertRunningAsync(store, "b", T0);
        await FinishAsync(store, "a", T0.AddMinutes(-90), JobStatus.Succeeded);            // before the window
        await FinishAsync(store, "a", T0.AddSeconds(10), JobStatus.Succeeded);
        await FinishAsync(store, "a", T0.AddSeconds(50), JobStatus.Succeeded);
        await FinishAsync(store, "b", T0.AddSeconds(70), JobStatus.Failed);
        await FinishAsync(store, "b", T0.AddMinutes(59).AddSeconds(59), JobStatus.Canceled);
        await FinishAsync(store, "b", T0.AddMinutes(60), JobStatus.Succeeded);              // at the window's end: out

        var statistics = await store.CountJobsAsync(new JobStatisticsQuery { Since = T0, Until = T0.AddHours(1) });

        AssertCounts([("a", JobStatus.Queued, 2), ("a", JobStatus.Succeeded, 2), ("b", JobStatus.Canceled, 1), ("b", JobStatus.Failed, 1), ("b", JobStatus.Running, 1), ("b", JobStatus.Scheduled, 1)], statistics);
        Assert.Equal(
            new[] { (T0, JobStatus.Succeeded, 2), (T0.AddMinutes(1), JobStatus.Failed, 1), (T0.AddMinutes(59), JobStatus.Canceled, 1) }.Order(),
            statistics.Buckets.Select(bucket => (bucket.Start.ToUniversalTime(), bucket.Status, bucket.Count)).Order());
    }

    [Fact]
    public async Task CountJobs_OfAnOwner_CountsOnlyTheirJobs_AndNoOwner_TheJobsWithout()
    {
        var store = CreateStore();
        await InsertRunningAsync(store, "k", T0, owner: "alice");
        await InsertRunningAsync(store, "k", T0, owner: "bob");
        await InsertRunningAsync(store, "k", T0);
        var finished = await InsertRunningAsync(store, "k", T0, owner: "alice");
        await store.TryFinishAsync(finished.Id, JobStatus.Running, 1, Succeeded(T0.AddMinutes(1)));

        var alices = await store.CountJobsAsync(new JobStatisticsQuery { Owner = "alice", Since = T0, Until = T0.AddHours(1) });
        var nobodys = await store.CountJobsAsync(new JobStatisticsQuery { Owner = JobQuery.NoOwner, Since = T0, Until = T0.AddHours(1) });
        var everyones = await store.CountJobsAsync(new JobStatisticsQuery { Since = T0, Until = T0.AddHours(1) });

        AssertCounts([("k", JobStatus.Running, 1), ("k", JobStatus.Succeeded, 1)], alices);
        AssertCounts([("k", JobStatus.Running, 1)], nobodys);
        AssertCounts([("k", JobStatus.Running, 3), ("k", JobStatus.Succeeded, 1)], everyones);
        Assert.Single(alices.Buckets);
        Assert.Empty(nobodys.Buckets);
    }

    [Fact]
    public async Task CountJobs_StopsAtItsLimits_TheFinishedNewestFirst()
    {
        var store = CreateStore();
        for (var i = 0; i < 5; i++)
        {
            await store.InsertAsync(NewJob("k", T0.AddSeconds(i)));
            await FinishAsync(store, "k", T0.AddMinutes(i), JobStatus.Succeeded);
        }

        var statistics = await store.CountJobsAsync(new JobStatisticsQuery { Since = T0, Until = T0.AddHours(1), CountAtMost = 3, FinishedAtMost = 2 });

        AssertCounts([("k", JobStatus.Queued, 3), ("k", JobStatus.Succeeded, 2)], statistics);
        Assert.Equal([T0.AddMinutes(3), T0.AddMinutes(4)], statistics.Buckets.Select(bucket => bucket.Start.ToUniversalTime()).Order());
    }

    private static void AssertCounts((string Kind, JobStatus Status, int Count)[] expected, JobStatistics statistics) =>
        Assert.Equal(expected.Order(), statistics.Counts.Select(count => (count.Kind, count.Status, count.Count)).Order());

    private static async Task FinishAsync(IJobStore store, string kind, DateTimeOffset finishedAt, JobStatus status)
    {
        var job = await InsertRunningAsync(store, kind, finishedAt.AddMinutes(-1));
        var outcome = status == JobStatus.Succeeded ? Succeeded(finishedAt) : new JobOutcome(status, finishedAt, Error: status == JobStatus.Failed ? new JobError("urn:test:failed", "Failed.") : null);
        Assert.NotNull(await store.TryFinishAsync(job.Id, JobStatus.Running, 1, outcome));
    }
}
