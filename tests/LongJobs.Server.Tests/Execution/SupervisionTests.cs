using System.Runtime.CompilerServices;
using System.Text.Json;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// Work the scheduler does in the background, which nobody awaits, is supervised: what it throws is handled and
/// logged with its stack, and the handles it completes always complete (issue 12).
/// </summary>
public sealed class SupervisionTests
{
    private static readonly TimeSpan FirstStoreRetry = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task AFollowedJob_WhenWaitingForItsNextChangeThrowsUnexpectedly_IsStillFollowed_AndItsHandleCompletesWhenAnotherServerFinishesIt()
    {
        var time = new ObservedFakeTimeProvider();
        var shared = new FaultyJobStore(time, durable: true);
        await using var services = TestServices.Create(
            options =>
            {
                options.MaxConcurrency = 1;
                options.QueuePollInterval = TimeSpan.FromMinutes(5);
            },
            store: _ => shared,
            time: time);

        // This server's only slot is taken: the job waits in the shared queue, and this server follows it there.
        var busy = await services.StartGatedAsync(services.Gates["busy"]);
        await services.Gates["busy"].Started;
        shared.NextWaitForChangeFailure = new InvalidOperationException("The store failed as it never should.");
        var job = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "elsewhere", Value = 4 });

        // Another server claims the job and finishes it.
        var claimed = Assert.Single(await shared.Inner.ClaimAsync(["gated"], 1, time.GetUtcNow()));
        var result = new GatedResult { GateKey = "elsewhere", DoubledValue = 8, JobId = job.Id };
        var json = JsonSerializer.SerializeToElement(result, new LongJobsOptions().SerializerOptions);
        await shared.Inner.TryFinishAsync(job.Id, JobStatus.Running, claimed.Attempt, new JobOutcome(JobStatus.Succeeded, time.GetUtcNow(), json));
        await time.WaitForTimerAsync(FirstStoreRetry);
        time.Advance(FirstStoreRetry);

        Assert.Equal(8, (await job.Task.WithSafetyTimeout()).DoubledValue);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        services.Gates["busy"].Release();
        await busy.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ARunThatThrowsAfterItsOutcomeIsRecorded_RaisesNoUnobservedTaskException_AndItsHandleHasTheOutcome()
    {
        var marker = $"run-escaped-{Guid.NewGuid():N}";
        Assert.Empty(await UnobservedTaskExceptions.DuringAsync(marker, () => RunJobsWhoseLoggingThrowsThenStopAsync(marker)));
    }

    [Fact]
    public async Task AnOutcomeTheStoreCouldNotRecordBeforeShutdown_IsLoggedWithTheStoresOwnStackTrace()
    {
        var time = new ObservedFakeTimeProvider();
        var logs = new RecordedLogs();
        var store = new FaultyJobStore(time);
        using var host = TestHost.Build(time, logs: logs, store: store);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var gate = new JobGate();
        await scheduler.StartAsync(async (_, _) =>
        {
            await gate.PassIgnoringCancellationAsync();
            return 1;
        });
        await gate.Started;

        store.FinishUnavailable = true;
        gate.Release();
        await logs.WaitForAsync(StoreOutOfReachEventId);
        await host.StopAsync().WithSafetyTimeout();

        var failed = await logs.WaitForAsync(StoreFailedEventId);
        var exception = Assert.IsType<JobStoreUnavailableException>(failed.Exception);
        Assert.Contains($"{nameof(FaultyJobStore)}.{nameof(FaultyJobStore.TryFinishAsync)}", exception.StackTrace, StringComparison.Ordinal);
    }

    private const int JobFinishedEventId = 3;
    private const int StoreFailedEventId = 4;
    private const int StoreOutOfReachEventId = 43;

    /// <summary>Runs jobs on a host whose logging throws once a job's outcome is recorded, and keeps no reference to their runs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task RunJobsWhoseLoggingThrowsThenStopAsync(string marker)
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time, options => options.MaxConcurrency = 1, new ThrowingLogs(marker, JobFinishedEventId, StoreFailedEventId));
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();

        var first = await scheduler.StartAsync((_, _) => Task.FromResult(7));
        Assert.Equal(7, await first.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Succeeded, (await store.GetAsync(first.Id))!.Status);

        // With one slot, the second job runs once the first gave its slot back.
        var second = await scheduler.StartAsync((_, _) => Task.FromResult(8));
        Assert.Equal(8, await second.Task.WithSafetyTimeout());
        await host.StopAsync().WithSafetyTimeout();
    }

    /// <summary>A logging provider that fails, with <c>marker</c> in its message, on the given events.</summary>
    private sealed class ThrowingLogs(string marker, params int[] eventIds) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventIds.Contains(eventId.Id))
            {
                throw new InvalidOperationException($"{marker}: the log sink failed.");
            }
        }

        public void Dispose()
        {
        }
    }
}
