using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary><see cref="IJobScheduler.ScheduleKindAsync(string, object, DateTimeOffset, CancellationToken)"/>: jobs started for later, on the in-memory store.</summary>
public sealed class JobSchedulerDelayedStartTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task ScheduleKind_WaitsScheduledUntilItsTime_ThenRuns()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "later", Value = 4 }, Delay);

        Assert.Equal(JobStatus.Scheduled, job.State.Status);
        Assert.Equal(services.Time.GetUtcNow() + Delay, job.State.NotBefore);
        Assert.Equal(JobStatus.Scheduled, (await services.GetRecordAsync(job.Id)).Status);
        await services.Time.WaitForTimerAsync(Delay);
        services.Time.Advance(Delay - TimeSpan.FromTicks(1));
        Assert.False(services.Gates["later"].HasStarted);

        services.Time.Advance(TimeSpan.FromTicks(1));
        await services.Gates["later"].Started;
        services.Gates["later"].Release();

        var result = await Assert.IsType<LongRunningJob<GatedResult>>(job).Task.WithSafetyTimeout();
        Assert.Equal(8, result.DoubledValue);
        Assert.Equal(JobStatus.Succeeded, job.State.Status);
    }

    [Fact]
    public async Task ScheduleKind_AnEarlierJobScheduledLater_RunsFirst()
    {
        await using var services = TestServices.Create();
        var late = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "late" }, Delay);
        await services.Time.WaitForTimerAsync(Delay);

        var early = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "early" }, TimeSpan.FromMinutes(1));
        await services.Time.WaitForTimerAsync(TimeSpan.FromMinutes(1));
        services.Time.Advance(TimeSpan.FromMinutes(1));

        await services.Gates["early"].Started;
        Assert.False(services.Gates["late"].HasStarted);
        Assert.Equal(JobStatus.Scheduled, late.State.Status);
        Assert.Equal(JobStatus.Running, (await services.GetRecordAsync(early.Id)).Status);
    }

    [Fact]
    public async Task ScheduleKind_AtATimeNotInTheFuture_StartsNow()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "now" }, services.Time.GetUtcNow().AddMinutes(-1));

        await services.Gates["now"].Started;
        Assert.Null((await services.GetRecordAsync(job.Id)).NotBefore);
    }

    [Fact]
    public async Task ScheduleKind_ANegativeDelay_Throws()
    {
        await using var services = TestServices.Create();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "x" }, TimeSpan.FromSeconds(-1)));
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task ScheduleKind_WhileTheQueueIsFull_IsRefusedLikeAnyStart()
    {
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
        });
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "running" });
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "queued" });
        await Assert.ThrowsAsync<JobRejectedException>(() => services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "refused" }));

        var refused = await Assert.ThrowsAsync<JobRejectedException>(() => services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "later" }, Delay));

        Assert.Equal(JobRejectionReason.QueueFull, refused.Reason);
        Assert.Equal(2, services.Store.Count);
    }

    [Fact]
    public async Task Cancel_AScheduledJob_CancelsItAtOnceAndItNeverRuns()
    {
        await using var services = TestServices.Create();
        var job = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "never" }, Delay);

        var cancelled = await services.Scheduler.CancelAsync(job.Id);

        Assert.Equal(JobStatus.Canceled, cancelled!.Status);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.Null(await services.Store.GetNextDueTimeAsync());
    }

    [Fact]
    public async Task Stop_WithAScheduledJob_CancelsIt()
    {
        var services = TestServices.Create();
        var scheduler = (Microsoft.Extensions.Hosting.IHostedService)services.Scheduler;
        await scheduler.StartAsync(CancellationToken.None);
        var job = await services.Scheduler.ScheduleKindAsync("gated", new GatedRequest { GateKey = "never" }, Delay);

        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal(JobStatus.Canceled, (await services.GetRecordAsync(job.Id)).Status);
        Assert.True(job.Task.IsCompleted);
        await services.DisposeAsync();
    }
}
