namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobRetention"/> role: the removal of expired finished jobs.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task DeleteFinished_ByTime_RemovesOnlyJobsFinishedBeforeTheInstant()
    {
        var store = CreateStore();
        var old = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));
        var recent = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(10));
        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await InsertRunningAsync(store, "k", T0);

        var removed = await store.DeleteFinishedAsync(T0.AddMinutes(5), keepAtMost: 100);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(old.Id));
        Assert.NotNull(await store.GetAsync(recent.Id));
        Assert.NotNull(await store.GetAsync(queued.Id));
        Assert.NotNull(await store.GetAsync(running.Id));
    }

    [Fact]
    public async Task DeleteFinished_ByTime_RemovesEveryExpiredJobWhateverOrderTheyFinishedIn()
    {
        var store = CreateStore();

        // Recorded in this order, but the second finished earlier: clocks of several servers, or two jobs
        // racing to record their outcome, do not follow the order of the writes.
        var later = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(10));
        var earlier = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));

        var removed = await store.DeleteFinishedAsync(T0.AddMinutes(5), keepAtMost: 100);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(earlier.Id));
        Assert.NotNull(await store.GetAsync(later.Id));
    }

    [Fact]
    public async Task DeleteFinished_ByCount_KeepsTheNewestFinishedJobsAndEveryUnfinishedOne()
    {
        var store = CreateStore();
        var finished = new List<JobRecord>();
        for (var i = 0; i < 5; i++)
        {
            finished.Add(await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(i)));
        }

        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await InsertRunningAsync(store, "k", T0);

        var removed = await store.DeleteFinishedAsync(DateTimeOffset.MinValue, keepAtMost: 2);

        Assert.Equal(3, removed);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i >= 3, await store.GetAsync(finished[i].Id) is not null);
        }

        Assert.NotNull(await store.GetAsync(queued.Id));
        Assert.NotNull(await store.GetAsync(running.Id));
    }

    [Fact]
    public async Task DeleteFinished_WhenNothingExpired_RemovesNothing()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));

        var removed = await store.DeleteFinishedAsync(T0, keepAtMost: 10);

        Assert.Equal(0, removed);
        Assert.NotNull(await store.GetAsync(job.Id));
    }
}
