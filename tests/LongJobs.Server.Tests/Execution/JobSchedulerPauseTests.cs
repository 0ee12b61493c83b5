using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary><see cref="IJobScheduler.PauseKindAsync"/> and <see cref="IJobScheduler.ResumeKindAsync"/>, on the in-memory store.</summary>
public sealed class JobSchedulerPauseTests
{
    [Fact]
    public async Task APausedKind_KeepsItsJobsQueuedWithSlotsFree_ThenRunsThemWhenResumed()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 4);
        await services.Scheduler.PauseKindAsync("gated");

        var waiting = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "waits" });
        var other = await services.Scheduler.StartKindAsync("probe", new ProbeRequest());

        await other.Task.WithSafetyTimeout();
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(waiting.Id)).Status);
        Assert.False(services.Gates["waits"].HasStarted);

        Assert.True(await services.Scheduler.ResumeKindAsync("gated"));
        await services.Gates["waits"].Started;
        services.Gates["waits"].Release();
        await waiting.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task PausingAKind_LetsItsRunningJobsFinish()
    {
        await using var services = TestServices.Create();
        var running = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "running" });
        await services.Gates["running"].Started;

        await services.Scheduler.PauseKindAsync("gated");
        services.Gates["running"].Release();

        await running.Task.WithSafetyTimeout();
        Assert.Equal(JobStatus.Succeeded, running.State.Status);
    }

    [Fact]
    public async Task PauseKind_OfAnUnknownKind_Throws_AndGetPausedKindsNamesThePausedOnesInTheirRegisteredCase()
    {
        await using var services = TestServices.Create();

        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Scheduler.PauseKindAsync("nope"));
        await services.Scheduler.PauseKindAsync("GATED");

        Assert.Equal(["gated"], (await services.Scheduler.GetPausedKindsAsync()).Select(pause => pause.Kind));
        Assert.False(await services.Scheduler.ResumeKindAsync("probe"));
    }
}
