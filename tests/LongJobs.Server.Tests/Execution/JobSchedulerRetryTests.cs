using System.Collections.Concurrent;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Per-kind retries: transient failures run again in place, with backoff, and every attempt shows.</summary>
public sealed class JobSchedulerRetryTests
{
    [Fact]
    public async Task TransientFailures_AreRetriedUntilAnAttemptSucceeds_AndTheAttemptShows()
    {
        await using var services = Create(retry => retry.RetryOn<TimeoutException>().Delay = TimeSpan.Zero);
        var flaky = services.Provider.GetRequiredService<FlakyLog>();
        flaky.FailuresBeforeSuccess = 2;

        var job = (LongRunningJob<FlakyResult>)await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());
        var result = await job.Task.WithSafetyTimeout();

        Assert.Equal(3, result.Attempt);
        Assert.Equal([1, 2, 3], flaky.Attempts);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Succeeded, record.Status);
        Assert.Equal(3, record.Attempt);
        Assert.Equal(3, record.MaxAttempts);
    }

    [Fact]
    public async Task TransientFailures_PastMaxAttempts_FailTheJobInItsLastAttempt()
    {
        await using var services = Create(retry =>
        {
            retry.RetryOn<TimeoutException>().Delay = TimeSpan.Zero;
            retry.MaxAttempts = 2;
        });
        services.Provider.GetRequiredService<FlakyLog>().FailuresBeforeSuccess = 5;

        var job = await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());

        await Assert.ThrowsAsync<TimeoutException>(() => job.Task.WithSafetyTimeout());
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Failed, record.Status);
        Assert.Equal(2, record.Attempt);
        Assert.Equal([1, 2], services.Provider.GetRequiredService<FlakyLog>().Attempts);
    }

    [Fact]
    public async Task AnExceptionTheKindDoesNotCallTransient_FailsAtOnce()
    {
        await using var services = Create(retry => retry.RetryOn<TimeoutException>().Delay = TimeSpan.Zero);
        var flaky = services.Provider.GetRequiredService<FlakyLog>();
        flaky.FailuresBeforeSuccess = 1;
        flaky.Failure = () => new InvalidOperationException("not transient");

        var job = await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());

        await Assert.ThrowsAsync<InvalidOperationException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal([1], flaky.Attempts);
        Assert.Equal(1, (await services.GetRecordAsync(job.Id)).Attempt);
    }

    [Fact]
    public async Task ByDefault_NoExceptionIsRetried()
    {
        await using var services = Create(_ => { });
        services.Provider.GetRequiredService<FlakyLog>().FailuresBeforeSuccess = 1;

        var job = await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());

        await Assert.ThrowsAsync<TimeoutException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal([1], services.Provider.GetRequiredService<FlakyLog>().Attempts);
    }

    [Fact]
    public async Task TheNextAttempt_WaitsForTheBackoff_AndSaysSoInTheJobsState()
    {
        await using var services = Create(RetryTimeoutsAfterABackoff);
        var flaky = services.Provider.GetRequiredService<FlakyLog>();
        flaky.FailuresBeforeSuccess = 1;

        var job = (LongRunningJob<FlakyResult>)await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());
        await services.Time.WaitForTimerAsync(IsBackoff);

        var waiting = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Running, waiting.Status);
        Assert.Equal(2, waiting.Attempt);
        Assert.StartsWith("Attempt 1 of 3 failed; the next starts in ", waiting.ProgressMessage, StringComparison.Ordinal);
        Assert.Equal([1], flaky.Attempts);

        services.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(2, (await job.Task.WithSafetyTimeout()).Attempt);
    }

    [Fact]
    public async Task CancellingDuringTheBackoff_EndsTheJobCanceled()
    {
        await using var services = Create(RetryTimeoutsAfterABackoff);
        services.Provider.GetRequiredService<FlakyLog>().FailuresBeforeSuccess = 1;
        var job = await services.Scheduler.StartKindAsync("flaky", new FlakyRequest());
        await services.Time.WaitForTimerAsync(IsBackoff);

        await services.Scheduler.CancelAsync(job.Id);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Canceled, (await services.GetRecordAsync(job.Id)).Status);
        Assert.Equal([1], services.Provider.GetRequiredService<FlakyLog>().Attempts);
    }

    [Fact]
    public void AddJob_WithRetryOptionsOutOfRange_Throws()
    {
        var builder = new ServiceCollection().AddLongJobs();

        var exception = Assert.Throws<ArgumentException>(() =>
            builder.AddJob<FlakyJob, FlakyRequest, FlakyResult>("flaky", kind => kind.Retry.MaxAttempts = 0));

        Assert.Contains("MaxAttempts", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Retries timeouts after a backoff of 10 to 30 seconds (jittered): a timer the test can find and fire.</summary>
    private static void RetryTimeoutsAfterABackoff(JobRetryOptions retry)
    {
        retry.RetryOn<TimeoutException>();
        retry.Delay = TimeSpan.FromSeconds(10);
        retry.MaxDelay = TimeSpan.FromSeconds(30);
    }

    private static bool IsBackoff(TimeSpan dueTime) => dueTime > TimeSpan.Zero && dueTime <= TimeSpan.FromSeconds(30);

    private static TestServices Create(Action<JobRetryOptions> retry) =>
        TestServices.Create(addJobs: longJobs =>
        {
            longJobs.Services.AddSingleton<FlakyLog>();
            longJobs.AddJob<FlakyJob, FlakyRequest, FlakyResult>("flaky", kind => retry(kind.Retry));
        });

    /// <summary>What the flaky job does, and which attempts ran.</summary>
    public sealed class FlakyLog
    {
        private readonly ConcurrentQueue<int> _attempts = new();

        public int FailuresBeforeSuccess { get; set; }

        public Func<Exception> Failure { get; set; } = () => new TimeoutException("transient");

        public IReadOnlyList<int> Attempts => [.. _attempts];

        public void Record(int attempt) => _attempts.Enqueue(attempt);
    }

    /// <summary>Fails its first <see cref="FlakyLog.FailuresBeforeSuccess"/> attempts, then returns the attempt that succeeded.</summary>
    public sealed class FlakyJob(FlakyLog log) : IJobHandler<FlakyRequest, FlakyResult>
    {
        public Task<FlakyResult> ExecuteAsync(FlakyRequest request, JobContext context, CancellationToken cancellationToken)
        {
            log.Record(context.Attempt);
            return context.Attempt <= log.FailuresBeforeSuccess
                ? Task.FromException<FlakyResult>(log.Failure())
                : Task.FromResult(new FlakyResult { Attempt = context.Attempt });
        }
    }

    public sealed record FlakyRequest;

    public sealed record FlakyResult
    {
        public int Attempt { get; init; }
    }
}
