using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>Jobs started for later (<see cref="IScheduledJobs"/>): scheduled until due, then queued once, by whichever caller comes first.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Insert_AScheduledJob_KeepsItOutOfTheQueueWithItsTime()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = Scheduled(NewRegisteredJob(kind, T0), T0.AddMinutes(5));

        var stored = await store.InsertAsync(job);

        Assert.Equal(JobStatus.Scheduled, stored.Status);
        Assert.Equal(T0.AddMinutes(5), stored.NotBefore);
        AssertSameJob(stored, await store.GetAsync(job.Id));
        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddMinutes(10)));
        Assert.Equal(0, await store.CountQueuedAsync(10));
        var listed = await store.ListAsync(new JobQuery { Status = JobStatus.Scheduled });
        Assert.Equal([job.Id], listed.Items.Select(item => item.Id));
        Assert.Equal(T0.AddMinutes(5), listed.Items[0].NotBefore);
    }

    [Fact]
    public async Task Insert_AScheduledJobWithoutItsTime_Throws()
    {
        var store = CreateStore();

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.InsertAsync(NewJob("k", T0) with { Status = JobStatus.Scheduled }));
    }

    [Fact]
    public async Task Insert_AQueuedJobWithATime_QueuesItWithoutOne()
    {
        var store = CreateStore();

        var stored = await store.InsertAsync(NewJob("k", T0) with { NotBefore = T0.AddMinutes(5) });

        Assert.Equal(JobStatus.Queued, stored.Status);
        Assert.Null(stored.NotBefore);
    }

    [Fact]
    public async Task GetNextDueTime_GivesTheEarliestScheduledTime()
    {
        var store = CreateStore();
        Assert.Null(await store.GetNextDueTimeAsync());

        await store.InsertAsync(Scheduled(NewRegisteredJob("k", T0), T0.AddMinutes(9)));
        await store.InsertAsync(Scheduled(NewRegisteredJob("k", T0.AddSeconds(1)), T0.AddMinutes(3)));
        await store.InsertAsync(NewRegisteredJob("k", T0.AddSeconds(2)));

        Assert.Equal(T0.AddMinutes(3), await store.GetNextDueTimeAsync());
    }

    [Fact]
    public async Task QueueDueJobs_QueuesOnlyTheDueOnesEarliestFirstUpToTheLimit()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var late = await store.InsertAsync(Scheduled(NewRegisteredJob(kind, T0), T0.AddMinutes(9)));
        var first = await store.InsertAsync(Scheduled(NewRegisteredJob(kind, T0.AddSeconds(1)), T0.AddMinutes(1)));
        var second = await store.InsertAsync(Scheduled(NewRegisteredJob(kind, T0.AddSeconds(2)), T0.AddMinutes(2)));
        var third = await store.InsertAsync(Scheduled(NewRegisteredJob(kind, T0.AddSeconds(3)), T0.AddMinutes(3)));

        Assert.Equal(2, await store.QueueDueJobsAsync(T0.AddMinutes(5), limit: 2));

        var queued = await store.GetAsync(first.Id);
        Assert.Equal(JobStatus.Queued, queued!.Status);
        Assert.Equal(first.Version + 1, queued.Version);
        Assert.Equal(T0.AddMinutes(1), queued.NotBefore);
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(second.Id))!.Status);
        Assert.Equal(JobStatus.Scheduled, (await store.GetAsync(third.Id))!.Status);
        Assert.Equal(T0.AddMinutes(3), await store.GetNextDueTimeAsync());

        Assert.Equal(1, await store.QueueDueJobsAsync(T0.AddMinutes(5), limit: 10));
        Assert.Equal(JobStatus.Scheduled, (await store.GetAsync(late.Id))!.Status);
        Assert.Equal(T0.AddMinutes(9), await store.GetNextDueTimeAsync());
        Assert.Equal(0, await store.QueueDueJobsAsync(T0.AddMinutes(5), limit: 10));
        var claimed = await store.ClaimAsync([kind], 10, T0.AddMinutes(6));
        Assert.Equal([first.Id, second.Id, third.Id], claimed.Select(job => job.Id));
    }

    [Fact]
    public async Task QueueDueJobs_ConcurrentCallers_QueueEachJobOnce()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var jobs = Enumerable.Range(0, 120).Select(i => Scheduled(NewRegisteredJob(kind, T0.AddMilliseconds(i)), T0.AddSeconds(i % 7))).ToList();
        await store.InsertManyAsync(jobs);

        var counts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            var total = 0;
            int queued;
            while ((queued = await store.QueueDueJobsAsync(T0.AddMinutes(1), limit: 7)) > 0)
            {
                total += queued;
            }

            return total;
        })));

        Assert.Equal(jobs.Count, counts.Sum());
        Assert.All(await Task.WhenAll(jobs.Select(job => store.GetAsync(job.Id).AsTask())), job => Assert.Equal(2, job!.Version));
        Assert.Equal(jobs.Count, await store.CountQueuedAsync(1_000));
    }

    [Fact]
    public async Task RequestCancellation_OfAScheduledJob_CancelsItAtOnce()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(Scheduled(NewRegisteredJob("k", T0), T0.AddMinutes(5)));

        var cancelled = await store.RequestCancellationAsync(job.Id, T0.AddMinutes(1));

        Assert.Equal(JobStatus.Canceled, cancelled!.Status);
        Assert.Equal(T0.AddMinutes(1), cancelled.CompletedAt);
        Assert.Null(await store.GetNextDueTimeAsync());
        Assert.Equal(0, await store.QueueDueJobsAsync(T0.AddMinutes(10), limit: 10));
    }

    private static JobRecord Scheduled(JobRecord job, DateTimeOffset notBefore) => job with { Status = JobStatus.Scheduled, NotBefore = notBefore };
}
