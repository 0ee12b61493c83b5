using System.Collections.Concurrent;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// What the scheduler writes to a job's history: each attempt as it ends (with a retry's error and backoff), and the
/// job's log lines, buffered per server and written in one store call per interval, before the job's outcome, and
/// dropped (counted, and told) when the store cannot take them.
/// </summary>
public sealed class JobHistoryTests
{
    private static readonly TimeSpan WriteInterval = TimeSpan.FromSeconds(7);

    [Fact]
    public async Task LogLines_OfRunningJobs_WaitForTheInterval_ThenGoToTheStoreInOneWrite()
    {
        await using var test = Create();
        var a = test.Gates["a"];
        var b = test.Gates["b"];

        var first = await test.Scheduler.StartAsync(async (context, token) =>
        {
            context.Log(LogLevel.Information, "a1");
#pragma warning disable CA1848 // The extension methods users call on JobContext.Logger.
            context.Logger.LogWarning("a{Number}", 2);
#pragma warning restore CA1848
            await a.PassAsync(token);
            return 1;
        });
        var second = await test.Scheduler.StartAsync(async (context, token) =>
        {
            context.Log(LogLevel.Error, "b1");
            await b.PassAsync(token);
            return 2;
        });
        await a.Started;
        await b.Started;
        await test.Time.WaitForTimerAsync(WriteInterval);

        Assert.Empty(test.Writes);
        test.Time.Advance(WriteInterval);
        await test.Written.Task.WithSafetyTimeout();

        var write = Assert.Single(test.Writes);
        Assert.Equal(["a1", "a2", "b1"], write.Select(entry => entry.Line.Message).Order(StringComparer.Ordinal));
        var log = (await test.Store.GetHistoryAsync(first.Id))!.Log;
        Assert.Equal([(LogLevel.Information, "a1", 1), (LogLevel.Warning, "a2", 1)], log.Select(line => (line.Level, line.Message, line.Attempt)));
        Assert.All(log, line => Assert.Equal(test.Time.Start, line.Time));
        Assert.Equal("b1", Assert.Single((await test.Store.GetHistoryAsync(second.Id))!.Log).Message);
    }

    [Fact]
    public async Task LogLines_AsManyAsOneWriteTakes_GoToTheStoreWithoutWaitingForTheInterval()
    {
        await using var test = Create();
        var gate = test.Gates["a"];

        var job = await test.Scheduler.StartAsync(async (context, token) =>
        {
            for (var line = 1; line <= 1_000; line++)
            {
                context.Log(LogLevel.Debug, $"line {line}");
            }

            await gate.PassAsync(token);
            return 0;
        });
        await test.Written.Task.WithSafetyTimeout();

        Assert.Equal(1_000, Assert.Single(test.Writes).Count);
        var history = (await test.Store.GetHistoryAsync(job.Id))!;
        Assert.Equal(200, history.Log.Count);
        Assert.Equal(("line 801", "line 1000", 800), (history.Log[0].Message, history.Log[^1].Message, history.RemovedLogLines));
        gate.Release();
    }

    [Fact]
    public async Task LogLines_OfAJobThatEnds_AreInTheStoreBeforeItsOutcome_WithItsAttempt()
    {
        await using var test = Create();

        var job = await test.Scheduler.StartAsync((context, _) =>
        {
            context.Log(LogLevel.Information, "working");
            context.Log(LogLevel.Information, "done");
            return Task.FromResult(42);
        });
        await job.Task.WithSafetyTimeout();

        var history = (await test.Store.GetHistoryAsync(job.Id))!;
        Assert.Equal(["working", "done"], history.Log.Select(line => line.Message));
        var attempt = Assert.Single(history.Attempts);
        Assert.Equal((1, JobAttemptOutcome.Succeeded), (attempt.Number, attempt.Outcome));
        Assert.Equal(Environment.MachineName, attempt.Node);
    }

    [Fact]
    public async Task LogLines_BeyondTheBound_KeepTheLastOnes()
    {
        await using var test = Create(options => options.MaxLogLinesPerJob = 3);

        var job = await test.Scheduler.StartAsync((context, _) =>
        {
            for (var line = 1; line <= 5; line++)
            {
                context.Log(LogLevel.Information, $"line {line}");
            }

            return Task.FromResult(0);
        });
        await job.Task.WithSafetyTimeout();

        var history = (await test.Store.GetHistoryAsync(job.Id))!;
        Assert.Equal(["line 3", "line 4", "line 5"], history.Log.Select(line => line.Message));
        Assert.Equal(2, history.RemovedLogLines);
    }

    [Fact]
    public async Task LogLines_TheStoreCannotTake_AreDropped_TheJobGoesOn_AndTheNextWriteSaysHowMany()
    {
        var logs = new RecordedLogs();
        await using var test = Create(logs: logs);
        test.Faulty.LogFailure = new JobStoreUnavailableException(new TimeoutException("down"));

        var lost = await test.Scheduler.StartAsync((context, _) =>
        {
            context.Log(LogLevel.Information, "never stored");
            context.Log(LogLevel.Information, "nor this");
            return Task.FromResult(1);
        });
        Assert.Equal(1, await lost.Task.WithSafetyTimeout());
        Assert.Empty((await test.Store.GetHistoryAsync(lost.Id))!.Log);
        Assert.Contains(logs.Entries, entry => entry.Message.Contains("never stored", StringComparison.Ordinal));

        test.Faulty.LogFailure = null;
        var next = await test.Scheduler.StartAsync((context, _) =>
        {
            context.Log(LogLevel.Information, "stored");
            return Task.FromResult(2);
        });
        Assert.Equal(2, await next.Task.WithSafetyTimeout());

        // The writer was failing: the job's end did not wait for its lines, which go at the end of the interval (the
        // second timer of the interval: the first was the lost lines', which their job's end wrote at once).
        await test.Time.WaitForTimerAsync(WriteInterval, count: 2);
        test.Time.Advance(WriteInterval);
        await test.Written.Task.WithSafetyTimeout();

        var notice = Assert.Single((await test.Store.GetHistoryAsync(lost.Id))!.Log);
        Assert.Equal((LogLevel.Warning, 1), (notice.Level, notice.Attempt));
        Assert.StartsWith("2 log lines were dropped", notice.Message, StringComparison.Ordinal);
        Assert.Equal("stored", Assert.Single((await test.Store.GetHistoryAsync(next.Id))!.Log).Message);
        Assert.Contains(logs.Entries, entry => entry.EventId == 71 && entry.Message.StartsWith("2 log lines of 1 jobs were dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Attempts_OfATransientFailure_AreRetriedWithItsError_ThenTheNextAfterTheBackoff()
    {
        await using var test = Create(addJobs: longJobs =>
        {
            longJobs.Services.AddSingleton<JobSchedulerRetryTests.FlakyLog>();
            longJobs.AddJob<JobSchedulerRetryTests.FlakyJob, JobSchedulerRetryTests.FlakyRequest, JobSchedulerRetryTests.FlakyResult>("flaky", kind =>
            {
                kind.Retry.RetryOn<TimeoutException>();
                kind.Retry.Delay = TimeSpan.FromSeconds(10);
                kind.Retry.MaxDelay = TimeSpan.FromSeconds(30);
            });
        });
        test.Services.Provider.GetRequiredService<JobSchedulerRetryTests.FlakyLog>().FailuresBeforeSuccess = 1;

        var job = await test.Scheduler.StartKindAsync("flaky", new JobSchedulerRetryTests.FlakyRequest());
        await test.Time.WaitForTimerAsync(due => due > TimeSpan.Zero && due <= TimeSpan.FromSeconds(30) && due != WriteInterval);
        var waiting = (await test.Store.GetHistoryAsync(job.Id))!.Attempts;
        test.Time.Advance(TimeSpan.FromSeconds(30));
        await job.Task.WithSafetyTimeout();

        var attempts = (await test.Store.GetHistoryAsync(job.Id))!.Attempts;
        Assert.Equal(2, waiting.Count);
        Assert.Null(waiting[1].Outcome);
        Assert.Equal([JobAttemptOutcome.Retried, JobAttemptOutcome.Succeeded], attempts.Select(attempt => attempt.Outcome!.Value));
        Assert.Equal("The job failed.", attempts[0].Error?.Title);
        Assert.Equal(test.Time.Start, attempts[0].EndedAt);
        var backoff = attempts[1].StartedAt - attempts[0].EndedAt!.Value;
        Assert.InRange(backoff, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30));
        Assert.Null(attempts[1].Error);
    }

    private static HistoryTest Create(Action<LongJobsOptions>? configure = null, Action<LongJobsBuilder>? addJobs = null, RecordedLogs? logs = null)
    {
        FaultyJobStore? faulty = null;
        var services = TestServices.Create(
            options =>
            {
                options.LogWriteInterval = WriteInterval;
                configure?.Invoke(options);
            },
            addJobs: addJobs,
            logs: logs,
            store: time => faulty = new FaultyJobStore(time));
        return new HistoryTest(services, faulty!);
    }

    /// <summary>The scheduler over a <see cref="FaultyJobStore"/>, with the log writes it took.</summary>
    private sealed class HistoryTest : IAsyncDisposable
    {
        public HistoryTest(TestServices services, FaultyJobStore faulty)
        {
            Services = services;
            Faulty = faulty;
            faulty.LogAppended += entries =>
            {
                Writes.Enqueue(entries);
                Written.TrySetResult();
            };
        }

        public TestServices Services { get; }

        public FaultyJobStore Faulty { get; }

        public IJobScheduler Scheduler => Services.Scheduler;

        public FaultyJobStore Store => Faulty;

        public ObservedFakeTimeProvider Time => Services.Time;

        public JobGates Gates => Services.Gates;

        public ConcurrentQueue<IReadOnlyList<JobLogEntry>> Writes { get; } = new();

        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }
}
