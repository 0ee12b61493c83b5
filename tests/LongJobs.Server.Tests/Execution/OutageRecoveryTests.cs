using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// A store outage longer than a lease, and a job requeued behind this server's back (issue 13): the slot of a job whose
/// outcome waits for the store takes the next job, a job claimed again while an older attempt still holds it here
/// supersedes that attempt (fenced, never failed), and every background activity logs its failures once per episode.
/// </summary>
public sealed class OutageRecoveryTests
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan FirstWriteRetry = TimeSpan.FromSeconds(1);

    private const int JobFailedEventId = 2;
    private const int JobFinishedEventId = 3;
    private const int StoreOutOfReachEventId = 43;
    private const int ActivityFailedEventId = 44;
    private const int ActivityRecoveredEventId = 45;
    private const int FailedAgainEventId = 46;
    private const int AttemptTakenOverEventId = 47;
    private const int AttemptSupersededEventId = 48;

    [Fact]
    public async Task AJobFinishedDuringAnOutage_RequeuedByAnotherNode_AndClaimedHereAgain_RunsOnceMoreAndSucceeds_WithTheOldOutcomeFenced()
    {
        var (services, shared, logs) = Create(maxConcurrency: 1);
        await using var _ = services;
        var job = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "a", Value = 3 });
        await services.Gates["a"].Started;

        // The job finishes while the database is down: its outcome waits for the store, and its slot takes the next job.
        shared.FinishUnavailable = true;
        services.Gates["a"].Release();
        var outOfReach = await logs.WaitForAsync(StoreOutOfReachEventId);
        Assert.Null(outOfReach.Exception);
        var next = await services.StartGatedAsync(services.Gates["b"], result: 5);
        await services.Gates["b"].Started;

        // The outage outlasts the lease: another node's heartbeat puts the job back in the queue. Then the database is back.
        Assert.NotNull(await shared.Inner.TryRequeueAsync(job.Id, 1, "Waiting for a server: its node's lease ran out.", services.Time.GetUtcNow()));
        shared.FinishUnavailable = false;
        services.Gates["b"].Release();
        Assert.Equal(5, await next.Task.WithSafetyTimeout());

        // This node claims the job again (attempt 2) while attempt 1 still holds it here, waiting to record its outcome.
        await services.Time.WaitForTimerAsync(PollInterval);
        services.Time.Advance(PollInterval);
        Assert.Equal(6, (await job.Task.WithSafetyTimeout()).DoubledValue);
        var superseded = await logs.WaitForAsync(AttemptSupersededEventId);
        Assert.Contains("attempt 2 while attempt 1", superseded.Message, StringComparison.Ordinal);

        // Attempt 1's write is tried again, and refused: the job is attempt 2's.
        await services.Time.WaitForTimerAsync(FirstWriteRetry);
        services.Time.Advance(FirstWriteRetry);
        var takenOver = await logs.WaitForAsync(AttemptTakenOverEventId);
        Assert.Contains($"Attempt 1 of job {job.Id}", takenOver.Message, StringComparison.Ordinal);
        Assert.Contains("taken over", takenOver.Message, StringComparison.Ordinal);

        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal((JobStatus.Succeeded, 2), (record.Status, record.Attempt));
        Assert.Equal((JobStatus.Succeeded, 2), (job.Status, job.State.Attempt));
        AssertNoFailure(logs);

        // The only slot is free again.
        var last = await services.StartGatedAsync(services.Gates["c"], result: 7);
        services.Gates["c"].Release();
        Assert.Equal(7, await last.Task.WithSafetyTimeout());
    }

    [Fact]
    public async Task AJobStillRunningHere_RequeuedByAnotherNode_AndClaimedHereAgain_CancelsTheOldAttempt_AndTheNewOneSucceeds()
    {
        var (services, shared, logs) = Create(maxConcurrency: 2);
        await using var _ = services;
        var job = (LongRunningJob<AttemptResult>)await services.Scheduler.StartKindAsync("by-attempt", new AttemptRequest("x"));
        await services.Gates["x-1"].Started;

        // This node lost the job's lease (its heartbeat could not reach the database): another node requeued it.
        Assert.NotNull(await shared.Inner.TryRequeueAsync(job.Id, 1, "Waiting for a server: its node's lease ran out.", services.Time.GetUtcNow()));
        await services.Time.WaitForTimerAsync(PollInterval);
        services.Time.Advance(PollInterval);

        // Attempt 2 runs here; attempt 1 is cancelled, and its outcome (cancelled) is refused by the store.
        await services.Gates["x-2"].Started;
        var takenOver = await logs.WaitForAsync(AttemptTakenOverEventId);
        Assert.Contains($"Attempt 1 of job {job.Id}", takenOver.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(JobStatus.Canceled), takenOver.Message, StringComparison.Ordinal);
        services.Gates["x-2"].Release();
        Assert.Equal(2, (await job.Task.WithSafetyTimeout()).Attempt);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal((JobStatus.Succeeded, 2), (record.Status, record.Attempt));
        AssertNoFailure(logs);

        // Both slots are free: two jobs run at once.
        var first = await services.StartGatedAsync(services.Gates["first"]);
        var second = await services.StartGatedAsync(services.Gates["second"]);
        await services.Gates["first"].Started;
        await services.Gates["second"].Started;
        services.Gates.ReleaseAll();
        await Task.WhenAll(first.Task, second.Task).WithSafetyTimeout();
    }

    [Fact]
    public async Task AnOutcomeTheStoreRefusesUnexpectedly_FreesTheSlot_AndIsRecordedOnceTheStoreTakesItAgain()
    {
        var (services, shared, logs) = Create(maxConcurrency: 1);
        await using var _ = services;
        var job = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "a", Value = 4 });
        await services.Gates["a"].Started;

        // Not an outage: an error no store should have (a rotated password, a bug). The outcome is kept and tried again.
        shared.FinishFailure = new InvalidOperationException("password authentication failed");
        services.Gates["a"].Release();
        var failed = await logs.WaitForAsync(ActivityFailedEventId);
        Assert.Same(shared.FinishFailure, failed.Exception);
        var next = await services.StartGatedAsync(services.Gates["b"], result: 5);
        await services.Gates["b"].Started;
        Assert.Equal(JobStatus.Running, job.Status);

        shared.FinishFailure = null;
        services.Gates["b"].Release();
        Assert.Equal(5, await next.Task.WithSafetyTimeout());
        await services.Time.WaitForTimerAsync(FirstWriteRetry);
        services.Time.Advance(FirstWriteRetry);
        Assert.Equal(8, (await job.Task.WithSafetyTimeout()).DoubledValue);
        Assert.Equal((JobStatus.Succeeded, 1), ((await services.GetRecordAsync(job.Id)).Status, (await services.GetRecordAsync(job.Id)).Attempt));
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == JobFailedEventId);
    }

    [Fact]
    public async Task AJobWhoseWorkReturned_GivesItsSlotToTheNextJob_WhileItsOutcomeIsWritten()
    {
        var (services, shared, _) = Create(maxConcurrency: 1);
        await using var _ = services;
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        shared.FinishWritesAfter = written.Task;
        var first = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "first", Value = 1 });
        var second = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "second", Value = 2 });
        await services.Gates["first"].Started;

        // The first job's work returns; its outcome waits for the store, and the only slot runs the second job meanwhile.
        services.Gates["first"].Release();
        await services.Gates["second"].Started.WithSafetyTimeout();
        Assert.Equal((JobStatus.Running, JobStatus.Running), ((await services.GetRecordAsync(first.Id)).Status, first.Status));

        written.SetResult();
        services.Gates["second"].Release();
        Assert.Equal((2, 4), ((await first.Task.WithSafetyTimeout()).DoubledValue, (await second.Task.WithSafetyTimeout()).DoubledValue));
        Assert.Equal(JobStatus.Succeeded, (await services.GetRecordAsync(first.Id)).Status);
    }

    [Fact]
    public async Task ClaimsThatFailUnexpectedly_AreLoggedOnceWithTheirStack_ThenAtDebugLevel_AndOnceWhenTheyWorkAgain()
    {
        var (services, shared, logs) = Create(maxConcurrency: 1);
        await using var _ = services;
        shared.ClaimFailure = new InvalidOperationException("The store failed as it never should.");
        var job = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "late", Value = 1 });
        var failed = await logs.WaitForAsync(ActivityFailedEventId);
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Same(shared.ClaimFailure, failed.Exception);

        // The loop goes on polling: the next failure is only a debug line.
        await services.Time.WaitForTimerAsync(PollInterval);
        services.Time.Advance(PollInterval);
        var again = await logs.WaitForAsync(FailedAgainEventId);
        Assert.Equal(LogLevel.Debug, again.Level);

        shared.ClaimFailure = null;
        await services.Time.WaitForTimerAsync(PollInterval, count: 2);
        services.Time.Advance(PollInterval);
        await services.Gates["late"].Started;
        var recovered = await logs.WaitForAsync(ActivityRecoveredEventId);
        Assert.Contains("Taking jobs from the queue works again", recovered.Message, StringComparison.Ordinal);
        services.Gates["late"].Release();
        Assert.Equal(2, (await job.Task.WithSafetyTimeout()).DoubledValue);
        Assert.Single(logs.Entries, entry => entry.EventId == ActivityFailedEventId);
    }

    [Fact]
    public async Task ProgressReportsTheStoreRefuses_NeverFailTheJob_AndAreLoggedOncePerEpisode()
    {
        var (services, shared, logs) = Create(maxConcurrency: 1);
        await using var _ = services;
        shared.ProgressFailure = new InvalidOperationException("password authentication failed");
        var first = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "one", Value = 1 });
        services.Gates["one"].Release();
        Assert.Equal(2, (await first.Task.WithSafetyTimeout()).DoubledValue);
        var second = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "two", Value = 2 });
        services.Gates["two"].Release();
        Assert.Equal(4, (await second.Task.WithSafetyTimeout()).DoubledValue);

        var failed = Assert.Single(logs.Entries, entry => entry.EventId == ActivityFailedEventId);
        Assert.Contains("Recording the progress of running jobs", failed.Message, StringComparison.Ordinal);
        Assert.Single(logs.Entries, entry => entry.EventId == FailedAgainEventId);
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == JobFailedEventId);
    }

    [Fact]
    public async Task AnOutcomeWaitingForTheStore_DoesNotHoldUpTheStop()
    {
        var (host, store, _, job) = await FinishWhileTheStoreIsOutOfReachAsync();
        using var _ = host;

        // Fake time never reaches the shutdown timeout: the stop returns because nothing waits for the store, after one
        // last try of the outcome, which the store still refuses.
        await host.StopAsync().WithSafetyTimeout();
        Assert.Equal(JobStatus.Running, (await store.Inner.GetAsync(job.Id))!.Status);
        Assert.Equal(JobStatus.Succeeded, job.Status);
    }

    [Fact]
    public async Task AnOutcomeWaitingForTheStore_IsTriedOnceMoreAtTheStop_AndRecordedWhenTheStoreIsBack()
    {
        var (host, store, logs, job) = await FinishWhileTheStoreIsOutOfReachAsync();
        using var _ = host;

        // The store is back, but the next try waits for a time that fake time never reaches: the stop makes it.
        store.FinishUnavailable = false;
        await host.StopAsync().WithSafetyTimeout();
        Assert.Equal(JobStatus.Succeeded, (await store.Inner.GetAsync(job.Id))!.Status);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.DoesNotContain(logs.Entries, entry => entry.Level >= LogLevel.Error);
    }

    /// <summary>
    /// Starts a host on a shared store and an ad-hoc job whose outcome the store cannot take: returns once the store's
    /// unavailability is logged, the outcome's write waiting to be tried again.
    /// </summary>
    private static async Task<(IHost Host, FaultyJobStore Store, RecordedLogs Logs, LongRunningJob<int> Job)> FinishWhileTheStoreIsOutOfReachAsync()
    {
        var time = new ObservedFakeTimeProvider();
        var logs = new RecordedLogs();
        var store = new FaultyJobStore(time, durable: true);
        var host = TestHost.Build(time, options => options.ShutdownTimeout = TimeSpan.FromMinutes(10), logs, store);
        await host.StartAsync();
        var gate = new JobGate();
        var job = await host.Services.GetRequiredService<IJobScheduler>().StartAsync(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            return 1;
        });
        await gate.Started;
        store.FinishUnavailable = true;
        gate.Release();
        await logs.WaitForAsync(StoreOutOfReachEventId);
        return (host, store, logs, job);
    }

    private static (TestServices Services, FaultyJobStore Shared, RecordedLogs Logs) Create(int maxConcurrency)
    {
        var time = new ObservedFakeTimeProvider();
        var shared = new FaultyJobStore(time, durable: true);
        var logs = new RecordedLogs();
        var services = TestServices.Create(
            options =>
            {
                options.MaxConcurrency = maxConcurrency;
                options.QueuePollInterval = PollInterval;
            },
            addJobs: jobs => jobs.AddJob<ByAttemptJob, AttemptRequest, AttemptResult>("by-attempt"),
            logs: logs,
            store: _ => shared,
            time: time,
            minimumLogLevel: LogLevel.Debug);
        return (services, shared, logs);
    }

    /// <summary>No job failed, none was logged as finished in a status that is not final, and nothing threw a duplicate key.</summary>
    private static void AssertNoFailure(RecordedLogs logs)
    {
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == JobFailedEventId);
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == JobFinishedEventId && entry.Message.Contains("as Running", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, entry => entry.Exception is ArgumentException);
    }

    public sealed record AttemptRequest(string GateKey);

    public sealed record AttemptResult(int Attempt);

    /// <summary>Each attempt waits at its own gate, <c>{GateKey}-{attempt}</c>, honouring its token.</summary>
    public sealed class ByAttemptJob(JobGates gates) : IJobHandler<AttemptRequest, AttemptResult>
    {
        public async Task<AttemptResult> ExecuteAsync(AttemptRequest request, JobContext context, CancellationToken cancellationToken)
        {
            await gates[$"{request.GateKey}-{context.Attempt}"].PassAsync(cancellationToken);
            return new AttemptResult(context.Attempt);
        }
    }
}
