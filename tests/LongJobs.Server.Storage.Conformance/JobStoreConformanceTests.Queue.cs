using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IQueuedJobs"/> role: counts, claims and hand-overs of queued jobs.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task CountQueued_CountsQueuedJobsOfEveryKindUpToTheLimit()
    {
        var store = CreateStore();
        await store.InsertAsync(NewRegisteredJob("a", T0));
        await store.InsertAsync(NewJob("ad-hoc", T0));
        await store.InsertAsync(NewRegisteredJob("b", T0));
        await InsertRunningAsync(store, "a", T0);

        Assert.Equal(3, await store.CountQueuedAsync(100));
        Assert.Equal(2, await store.CountQueuedAsync(2));
    }

    [Fact]
    public async Task Claim_TakesTheOldestJobsOfTheGivenKindsAndStartsThem()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var other = UniqueKind();
        var second = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(2)));
        var first = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(1)));
        await store.InsertAsync(NewRegisteredJob(other, T0));
        var third = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(3)));

        var claimed = await store.ClaimAsync([kind], 2, T0.AddSeconds(10));

        Assert.Equal([first.Id, second.Id], claimed.Select(job => job.Id));
        Assert.All(claimed, job =>
        {
            Assert.Equal(JobStatus.Running, job.Status);
            Assert.Equal(1, job.Attempt);
            Assert.Equal(T0.AddSeconds(10), job.StartedAt);
        });
        AssertSameJob(claimed[0], await store.GetAsync(first.Id));
        Assert.Equal(2, await store.CountQueuedAsync(100));
        Assert.Equal([third.Id], (await store.ClaimAsync([kind], 5, T0.AddSeconds(11))).Select(job => job.Id));
        Assert.Empty(await store.ClaimAsync([kind], 5, T0.AddSeconds(12)));
    }

    [Fact]
    public async Task Claim_NeverTakesAdHocJobs()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var adHoc = await store.InsertAsync(NewJob(kind, T0));

        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(1)));
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(adHoc.Id))!.Status);
    }

    [Fact]
    public async Task Claim_ConcurrentClaimsNeverTakeTheSameJob()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var inserted = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            inserted.Add((await store.InsertAsync(NewRegisteredJob(kind, T0.AddMilliseconds(i)))).Id);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            IReadOnlyList<JobRecord> batch;
            do
            {
                batch = await store.ClaimAsync([kind], 3, T0.AddSeconds(1));
                mine.AddRange(batch.Select(job => job.Id));
            }
            while (batch.Count > 0);

            return mine;
        })));

        var all = claims.SelectMany(ids => ids).ToList();
        Assert.Equal(inserted.Count, all.Count);
        Assert.Equal(inserted.Order(), all.Order());
    }

    [Fact]
    public async Task TryRequeue_PutsTheJobBackForTheNextClaimInItsNextAttempt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = await store.InsertAsync(NewRegisteredJob(kind, T0));
        var running = (await store.ClaimAsync([kind], 1, T0.AddSeconds(1))).Single();

        var requeued = await store.TryRequeueAsync(job.Id, running.Attempt, "Waiting for a server.", T0.AddSeconds(2));

        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal("Waiting for a server.", requeued.ProgressMessage);
        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.5, "old attempt"));
        var again = (await store.ClaimAsync([kind], 1, T0.AddSeconds(3))).Single();
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public async Task TryRequeue_WhenCancellationWasRequested_CancelsTheJob()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        await store.RequestCancellationAsync(job.Id, T0.AddSeconds(2));

        var ended = await store.TryRequeueAsync(job.Id, 1, "Waiting for a server.", T0.AddSeconds(3));

        Assert.Equal(JobStatus.Canceled, ended!.Status);
        Assert.Equal(T0.AddSeconds(3), ended.CompletedAt);
    }

    [Fact]
    public async Task TryRequeue_OfAnotherAttempt_ReturnsNull()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);

        Assert.Null(await store.TryRequeueAsync(job.Id, 2, "stale", T0.AddSeconds(3)));
        Assert.Equal(JobStatus.Running, (await store.GetAsync(job.Id))!.Status);
    }
}
