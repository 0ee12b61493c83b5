using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// An attempt that timed out and ignored its token goes on in the background: nothing it does later may touch the
/// attempt that replaced it (issue 12).
/// </summary>
public sealed class StaleAttemptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AStaleAttemptReportingProgressAfterItsTimeout_LeavesTheRetryRunning_AndTheJobSucceeds()
    {
        var log = new AttemptLog();
        await using var services = TestServices.Create(addJobs: jobs =>
        {
            jobs.Services.AddSingleton(log);
            jobs.AddJob<TwoAttemptsJob, TwoAttemptsRequest, TwoAttemptsResult>("two-attempts", kind =>
            {
                kind.Timeout = Timeout;
                kind.Retry.RetryOn<JobTimeoutException>().Delay = TimeSpan.Zero;
                kind.Retry.MaxAttempts = 2;
            });
        });
        var job = (LongRunningJob<TwoAttemptsResult>)await services.Scheduler.StartKindAsync("two-attempts", new TwoAttemptsRequest());
        await services.Gates["stale"].Started;

        await services.Time.WaitForTimerAsync(Timeout);
        services.Time.Advance(Timeout);
        await services.Gates["live"].Started;

        // Attempt 1 wakes up long after its timeout and reports progress, as work that ignores its token does.
        services.Gates["stale"].Release();
        await log.StaleReported.Task.WithSafetyTimeout();

        Assert.False(log.LiveToken.IsCancellationRequested, "The stale attempt's report cancelled the attempt that replaced it.");
        services.Gates["live"].Release();
        var result = await job.Task.WithSafetyTimeout();
        Assert.Equal(2, result.Attempt);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal((JobStatus.Succeeded, 2, false), (record.Status, record.Attempt, record.CancellationRequested));
    }

    public sealed record TwoAttemptsRequest;

    public sealed record TwoAttemptsResult(int Attempt);

    /// <summary>What the attempts of <see cref="TwoAttemptsJob"/> saw.</summary>
    public sealed class AttemptLog
    {
        public TaskCompletionSource StaleReported { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationToken LiveToken { get; set; }
    }

    /// <summary>Attempt 1 waits at <c>stale</c> ignoring its token, then reports progress; attempt 2 waits at <c>live</c>, honouring its token.</summary>
    public sealed class TwoAttemptsJob(JobGates gates, AttemptLog log) : IJobHandler<TwoAttemptsRequest, TwoAttemptsResult>
    {
        public async Task<TwoAttemptsResult> ExecuteAsync(TwoAttemptsRequest request, JobContext context, CancellationToken cancellationToken)
        {
            if (context.Attempt == 1)
            {
                await gates["stale"].PassIgnoringCancellationAsync();
                await context.ReportProgressAsync(0.5, "still here", CancellationToken.None);
                log.StaleReported.TrySetResult();
                return new TwoAttemptsResult(1);
            }

            log.LiveToken = cancellationToken;
            await gates["live"].PassAsync(cancellationToken);
            return new TwoAttemptsResult(context.Attempt);
        }
    }
}
