using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// <see cref="LongJobsOptions.ProgressWriteInterval"/>: at most one progress write per interval, and the latest report
/// of a burst is written at the end of it, so a caller waiting for the job's next change sees where the burst ended.
/// Time is fake: the end of an interval comes only when the test advances time.
/// </summary>
public sealed class ProgressWriteIntervalTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task ReportProgress_InABurst_WritesTheFirstAtOnceAndTheLatestAtTheEndOfTheInterval()
    {
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = Interval);
        var job = await StartReportingAsync(services, [(0.1, "at 0.1"), (0.2, "at 0.2"), (0.3, "at 0.3")]);
        var first = await services.GetRecordAsync(job.Job.Id);
        Assert.Equal(0.1, first.Progress);

        var waiter = services.Store.WaitForChangeAsync(first.Id, first.Version).AsTask();
        await services.Time.WaitForTimerAsync(Interval);
        services.Time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.False(waiter.IsCompleted);
        services.Time.Advance(TimeSpan.FromMilliseconds(1));

        var latest = await waiter.WithSafetyTimeout();
        Assert.Equal(0.3, latest!.Progress);
        Assert.Equal("at 0.3", latest.ProgressMessage);
        Assert.Equal(first.Version + 1, latest.Version);
        Assert.Equal(0.3, job.Job.Progress);
        job.Finish();
        await job.Job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ReportProgress_RightAfterADeferredWrite_WaitsForTheEndOfTheNextInterval()
    {
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = Interval);
        var job = await StartReportingAsync(services, [(0.1, null), (0.2, null)]);
        await services.Time.WaitForTimerAsync(Interval);
        var first = await services.GetRecordAsync(job.Job.Id);
        var waiter = services.Store.WaitForChangeAsync(first.Id, first.Version).AsTask();
        services.Time.Advance(Interval);
        var deferred = await waiter.WithSafetyTimeout();
        Assert.Equal(0.2, deferred!.Progress);

        await job.ReportAsync(0.25, "soon after");

        Assert.Equal(deferred.Version, (await services.GetRecordAsync(job.Job.Id)).Version);
        await services.Time.WaitForTimerAsync(Interval, count: 2);
        waiter = services.Store.WaitForChangeAsync(first.Id, deferred.Version).AsTask();
        services.Time.Advance(Interval);
        Assert.Equal("soon after", (await waiter.WithSafetyTimeout())!.ProgressMessage);
        job.Finish();
        await job.Job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ReportProgress_OfOne_IsWrittenAtOnceAndSupersedesTheDeferredReport()
    {
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = Interval);
        var job = await StartReportingAsync(services, [(0.1, null), (0.5, "halfway"), (1, "done with the work")]);

        var written = await services.GetRecordAsync(job.Job.Id);
        Assert.Equal(1, written.Progress);
        Assert.Equal("done with the work", written.ProgressMessage);

        await services.Time.WaitForTimerAsync(Interval);
        services.Time.Advance(Interval);
        Assert.Equal(written.Version, (await services.GetRecordAsync(job.Job.Id)).Version);
        job.Finish();
        await job.Job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ReportProgress_DeferredWhenTheAttemptEnds_IsNeverWritten()
    {
        var logs = new RecordedLogs();
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = Interval, logs: logs);
        var job = await StartReportingAsync(services, [(0.1, null), (0.2, null)]);
        await services.Time.WaitForTimerAsync(Interval);

        job.Finish();
        await job.Job.Task.WithSafetyTimeout();
        var finished = await services.GetRecordAsync(job.Job.Id);
        services.Time.Advance(Interval);

        Assert.Equal(JobStatus.Succeeded, finished.Status);
        Assert.Equal(finished.Version, (await services.GetRecordAsync(job.Job.Id)).Version);
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == 16);
    }

    [Fact]
    public async Task ReportProgress_WhenTheDeferredWriteFindsTheJobCanceled_SignalsTheJob()
    {
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = Interval);
        var job = await StartReportingAsync(services, [(0.1, null), (0.2, null)]);
        await services.Time.WaitForTimerAsync(Interval);
        await services.Store.RequestCancellationAsync(job.Job.Id, services.Time.GetUtcNow());

        services.Time.Advance(Interval);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Canceled, (await services.GetRecordAsync(job.Job.Id)).Status);
    }

    /// <summary>Starts an ad-hoc job that makes <paramref name="reports"/> one after another, then waits until the test lets it finish.</summary>
    private static async Task<ReportingJob> StartReportingAsync(TestServices services, (double Fraction, string? Message)[] reports)
    {
        var reporting = new ReportingJob();
        reporting.Job = await services.Scheduler.StartAsync(async (context, cancellationToken) =>
        {
            foreach (var (fraction, message) in reports)
            {
                await context.ReportProgressAsync(fraction, message, cancellationToken);
            }

            reporting.Context.SetResult(context);
            await reporting.Finished.Task.WaitAsync(cancellationToken);
            return 0;
        });
        await reporting.Context.Task.WithSafetyTimeout();
        return reporting;
    }

    private sealed class ReportingJob
    {
        public LongRunningJob<int> Job { get; set; } = null!;

        public TaskCompletionSource<JobContext> Context { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Reports progress as the job would, from the test.</summary>
        public async Task ReportAsync(double fraction, string? message) =>
            await (await Context.Task).ReportProgressAsync(fraction, message);

        public void Finish() => Finished.TrySetResult();
    }
}
