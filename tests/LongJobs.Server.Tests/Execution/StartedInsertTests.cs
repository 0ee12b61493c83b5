using LongJobs.Server.Execution.Scheduling;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// A start that finds a slot free, while no job waits for one, stores its job running on this server
/// (<see cref="Storage.IJobRecords.InsertStartedAsync"/>) instead of queueing it for a claim (issue 14).
/// </summary>
public sealed class StartedInsertTests
{
    [Fact]
    public async Task AStart_WithASlotFreeAndNoJobWaiting_StoresItsJobRunning_WithoutAClaim()
    {
        var (services, store) = Create(maxConcurrency: 2);
        await using var _ = services;
        await NoJobWaitsAsync(services);
        var claims = store.ClaimCalls;

        var job = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "started" });

        // Two versions: its insert, running, and the progress the gated job reports. A claim would have made one more.
        await services.Gates["started"].Started;
        Assert.Equal((JobStatus.Running, 2L), await StatusAndVersionAsync(services, job.Id));
        Assert.Equal(JobStatus.Running, job.State.Status);
        Assert.Equal(claims, store.ClaimCalls);
        services.Gates["started"].Release();
        await job.Task.WithSafetyTimeout();
        Assert.Equal(JobStatus.Succeeded, (await services.GetRecordAsync(job.Id)).Status);
    }

    [Fact]
    public async Task AStart_OnAServerWithAKindLimitedHere_RunsItsJobWithoutAClaim_OnceAClaimHasTakenEveryWaitingJob()
    {
        // A kind's own limit makes every claim plan fewer jobs than the free slots, for all kinds.
        var (services, store) = Create(maxConcurrency: 4, jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxConcurrency = 1));
        await using var _ = services;
        await NoJobWaitsAsync(services);
        var claims = store.ClaimCalls;

        var job = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "beside-a-limit" });

        await services.Gates["beside-a-limit"].Started;
        Assert.Equal((JobStatus.Running, 2L), await StatusAndVersionAsync(services, job.Id));
        Assert.Equal(claims, store.ClaimCalls);
        services.Gates["beside-a-limit"].Release();
        await job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task AStart_OnAServerWithAKindLimitedAcrossServers_RunsItsJobWithoutAClaim_AndTheLimitedKindsJobsStillQueue()
    {
        // Every claim of such a server counts the limited kind's running jobs, and may pass over its waiting ones.
        var (services, store) = Create(maxConcurrency: 4, jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxClusterConcurrency = 1));
        await using var _ = services;
        await NoJobWaitsAsync(services);
        var claims = store.ClaimCalls;

        var job = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "beside-a-cluster-limit" });
        await services.Gates["beside-a-cluster-limit"].Started;
        Assert.Equal((JobStatus.Running, 2L), await StatusAndVersionAsync(services, job.Id));
        Assert.Equal(claims, store.ClaimCalls);

        // Queued, then claimed: one version more than the other, before its progress.
        var limited = await services.Scheduler.StartKindAsync("limited", new GatedRequest { GateKey = "limited" });
        await services.Gates["limited"].Started;
        Assert.Equal((JobStatus.Running, 3L), await StatusAndVersionAsync(services, limited.Id));
        services.Gates.ReleaseAll();
        await Task.WhenAll(job.Task, limited.Task).WithSafetyTimeout();
    }

    [Fact]
    public async Task AStart_WhileAClaimHoldsTheFreeSlots_WaitsForItToEnd_ThenRunsItsJobInASlotItGaveBack()
    {
        var (services, store) = Create(maxConcurrency: 2);
        await using var _ = services;
        await NoJobWaitsAsync(services);
        var claimGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.ClaimGate = claimGate.Task;

        // A resumed kind's jobs may wait: the loop claims, holding both free slots while the store answers.
        await services.Scheduler.PauseKindAsync("probe");
        await services.Scheduler.ResumeKindAsync("probe");
        await store.ClaimHeld.WithSafetyTimeout();
        var claims = store.ClaimCalls;
        var start = services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "after-claim" });
        Assert.False(start.IsCompleted);

        store.ClaimGate = null;
        claimGate.SetResult();
        var job = await start.WithSafetyTimeout();

        // The claim found nothing and gave its slots back; the start took one without queueing its job for another claim.
        await services.Gates["after-claim"].Started;
        Assert.Equal((JobStatus.Running, 2L), await StatusAndVersionAsync(services, job.Id));
        Assert.Equal(claims, store.ClaimCalls);
        services.Gates["after-claim"].Release();
        await job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task AStart_OfAPausedKind_QueuesItsJob_AndGivesTheSlotItHadReservedBack()
    {
        var (services, store) = Create(maxConcurrency: 1);
        await using var _ = services;
        await services.Scheduler.PauseKindAsync("gated");
        await NoJobWaitsAsync(services);

        var paused = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "paused" });
        var probe = await services.Scheduler.StartKindAsync("probe", new ProbeRequest());

        // The only slot went to the probe: the paused kind's start gave it back.
        await probe.Task.WithSafetyTimeout();
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(paused.Id)).Status);
        Assert.False(services.Gates["paused"].HasStarted);

        await services.Scheduler.ResumeKindAsync("gated");
        await services.Gates["paused"].Started;
        services.Gates["paused"].Release();
        await paused.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task AStart_WithoutASlotFree_QueuesItsJob_AndTheStartsAfterItQueueTooUntilAClaimTakesIt()
    {
        var (services, store) = Create(maxConcurrency: 1);
        await using var _ = services;
        await NoJobWaitsAsync(services);
        var claimer = ((JobScheduler)services.Scheduler).Claimer;
        var first = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "first" });
        await services.Gates["first"].Started;
        Assert.Equal((JobStatus.Running, 2L), await StatusAndVersionAsync(services, first.Id));

        var second = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "second" });

        // It waits: a job started here from now on could take its slot, so none runs without a claim until one has taken it.
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(second.Id)).Status);
        Assert.False(claimer.NoJobWaits);
        var claims = store.ClaimCalls;
        services.Gates["first"].Release();
        await services.Gates["second"].Started;

        // The first was stored running; the second was queued, then claimed: one version more, before its progress.
        Assert.Equal((JobStatus.Running, 3L), await StatusAndVersionAsync(services, second.Id));
        Assert.True(store.ClaimCalls > claims);
        services.Gates.ReleaseAll();
        await Task.WhenAll(first.Task, second.Task).WithSafetyTimeout();
    }

    private static async Task<(JobStatus, long)> StatusAndVersionAsync(TestServices services, Guid id)
    {
        var job = await services.GetRecordAsync(id);
        return (job.Status, job.Version);
    }

    private static (TestServices Services, FaultyJobStore Store) Create(int maxConcurrency, Action<LongJobsBuilder>? addJobs = null)
    {
        var time = new ObservedFakeTimeProvider();
        var store = new FaultyJobStore(time);
        return (TestServices.Create(options => options.MaxConcurrency = maxConcurrency, addJobs: addJobs, store: _ => store, time: time), store);
    }

    /// <summary>
    /// Starts the claim loop and waits for its first claim to find the queue empty: a start runs its job without a claim
    /// only once a claim has taken every waiting job (no signal is raised for it). No job runs first, so no slot frees
    /// afterwards to wake a further claim that a test would count as its start's.
    /// </summary>
    private static async Task NoJobWaitsAsync(TestServices services)
    {
        var claimer = ((JobScheduler)services.Scheduler).Claimer;
        claimer.EnsureStarted();
        await Eventually.TrueAsync(() => claimer.NoJobWaits, "The claim loop's first claim finds the queue empty.");
    }
}
