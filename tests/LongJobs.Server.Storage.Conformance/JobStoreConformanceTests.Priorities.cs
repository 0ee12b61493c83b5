using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// Priorities (<see cref="JobRecord.Priority"/>): claims take queued jobs by creation time less a minute per level of
/// priority, then by ID.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Claim_TakesAHigherPriorityAheadOfJobsCreatedUpToAMinutePerLevelBeforeIt_AndOneOfAPriorityOldestFirst()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var a = await store.InsertAsync(NewRegisteredJob(kind, T0));
        var b = await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(1)) with { Priority = 2 });
        var c = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(30)));
        var d = await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(3)) with { Priority = 1 });
        var e = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(-90)) with { Priority = -1 });

        var first = await store.ClaimAsync([kind], 2, T0.AddMinutes(4));
        var rest = await store.ClaimAsync([kind], 10, T0.AddMinutes(5));

        // By creation less a minute per level: b at T0-1min, e at T0-30s (a lower priority puts it later), a at T0, c at T0+30s, d at T0+2min.
        Assert.Equal([b.Id, e.Id], first.Select(job => job.Id));
        Assert.Equal([a.Id, c.Id, d.Id], rest.Select(job => job.Id));
        Assert.Equal(2, first[0].Priority);
        Assert.Equal(-1, (await store.GetAsync(e.Id))!.Priority);
    }

    [Fact]
    public async Task Claim_NeverLeavesALowerPriorityBehindJobsCreatedLongEnoughAfterIt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var old = await store.InsertAsync(NewRegisteredJob(kind, T0) with { Priority = -5 });
        var urgent = await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(11)) with { Priority = 5 });

        Assert.Equal([old.Id, urgent.Id], (await store.ClaimAsync([kind], 2, T0.AddMinutes(12))).Select(job => job.Id));
    }

    [Fact]
    public async Task Claim_OfARequeuedOrADueScheduledJob_KeepsItsPlaceByCreationAndPriority()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var scheduled = await store.InsertAsync(NewRegisteredJob(kind, T0) with { Priority = 3, Status = JobStatus.Scheduled, NotBefore = T0.AddMinutes(10) });
        var queued = await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(1)));
        var running = Assert.Single(await store.ClaimAsync([kind], 1, T0.AddMinutes(2)));
        await store.TryRequeueAsync(running.Id, running.Attempt, "Lost its server.", T0.AddMinutes(3));
        var later = await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(4)));

        await store.QueueDueJobsAsync(T0.AddMinutes(10), 10);

        Assert.Equal([scheduled.Id, queued.Id, later.Id], (await store.ClaimAsync([kind], 10, T0.AddMinutes(11))).Select(job => job.Id));
    }

    [Theory]
    [InlineData(-1001)]
    [InlineData(1001)]
    public async Task Insert_WithAPriorityOutOfRange_IsRefused(int priority)
    {
        var store = CreateStore();
        var job = NewRegisteredJob(UniqueKind(), T0) with { Priority = priority };

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.InsertAsync(job));
        Assert.Null(await store.GetAsync(job.Id));
    }
}
