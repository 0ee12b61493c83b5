using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>Paused kinds (<see cref="IKindPauses"/>): claims skip their queued jobs until they are resumed.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Claim_SkipsThePausedKindsJobs_AndTakesThemOnceResumed()
    {
        var store = CreateStore();
        var paused = UniqueKind();
        var other = UniqueKind();
        var first = await store.InsertAsync(NewRegisteredJob(paused, T0));
        var second = await store.InsertAsync(NewRegisteredJob(other, T0.AddSeconds(1)));

        var pause = await store.PauseKindAsync(paused, T0.AddSeconds(2));
        var claimed = await store.ClaimAsync([paused, other], 10, T0.AddSeconds(3));

        Assert.Equal(new KindPause(paused, T0.AddSeconds(2)), pause);
        Assert.Equal([second.Id], claimed.Select(job => job.Id));
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(first.Id))!.Status);
        Assert.Equal(1, await store.CountQueuedAsync(10));

        Assert.True(await store.ResumeKindAsync(paused));
        Assert.Equal([first.Id], (await store.ClaimAsync([paused, other], 10, T0.AddSeconds(4))).Select(job => job.Id));
    }

    [Fact]
    public async Task PauseKind_Twice_KeepsTheFirstPause_AndResumeOfAKindNotPausedChangesNothing()
    {
        var store = CreateStore();
        Assert.Empty(await store.GetPausedKindsAsync());

        await store.PauseKindAsync("b-kind", T0);
        var again = await store.PauseKindAsync("b-kind", T0.AddMinutes(1));
        await store.PauseKindAsync("a-kind", T0.AddMinutes(2));

        Assert.Equal(T0, again.PausedAt);
        Assert.Equal([new KindPause("a-kind", T0.AddMinutes(2)), new KindPause("b-kind", T0)], await store.GetPausedKindsAsync());
        Assert.False(await store.ResumeKindAsync("c-kind"));
        Assert.True(await store.ResumeKindAsync("b-kind"));
        Assert.False(await store.ResumeKindAsync("b-kind"));
        Assert.Equal([new KindPause("a-kind", T0.AddMinutes(2))], await store.GetPausedKindsAsync());
    }

    [Fact]
    public async Task PauseKind_LeavesItsRunningJobsAlone()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await store.InsertAsync(NewRegisteredJob(kind, T0));
        var running = Assert.Single(await store.ClaimAsync([kind], 1, T0.AddSeconds(1)));

        await store.PauseKindAsync(kind, T0.AddSeconds(2));

        Assert.NotNull(await store.TryReportProgressAsync(running.Id, running.Attempt, 0.5, "Halfway."));
        Assert.Equal(JobStatus.Succeeded, (await store.TryFinishAsync(running.Id, JobStatus.Running, running.Attempt, Succeeded(T0.AddSeconds(3))))!.Status);
    }
}
