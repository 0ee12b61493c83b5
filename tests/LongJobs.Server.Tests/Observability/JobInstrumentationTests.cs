using System.Diagnostics;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Observability;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace LongJobs.Server.Tests.Observability;

public sealed class JobInstrumentationTests
{
    [Fact]
    public async Task FinishedJobs_AreCountedByKindAndStatus_WithTheirDuration()
    {
        await using var api = await TestApi.StartAsync();
        using var finished = Collector<long>(api, "longjobs.jobs.finished");
        using var duration = Collector<double>(api, "longjobs.job.duration");
        using var started = Collector<long>(api, "longjobs.jobs.started");

        var gated = await api.StartGatedAsync("g");
        api.Gates["g"].Release();
        await api.WaitUntilFinishedAsync(gated);
        using (await api.PostAsync("failing", "{}"))
        {
        }

        await finished.WaitForMeasurementsAsync(2).WithSafetyTimeout();

        // The gated job's outcome is stored before its count is recorded: the failing job's count may come first.
        Assert.Equal(
            [("failing", "Failed"), ("gated", "Succeeded")],
            finished.GetMeasurementSnapshot().Select(measurement => ((string)measurement.Tags["longjobs.job.kind"]!, (string)measurement.Tags["longjobs.job.status"]!)).Order());
        Assert.All(finished.GetMeasurementSnapshot(), measurement => Assert.Equal(1, measurement.Value));
        Assert.Equal(2, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), measurement => Assert.True(measurement.Value >= 0));
        Assert.Equal(["gated", "failing"], started.GetMeasurementSnapshot().Select(measurement => (string)measurement.Tags["longjobs.job.kind"]!));
    }

    [Fact]
    public async Task RunningAndQueuedJobs_AreObservedWhenMetricsAreCollected()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        using var running = Collector<int>(api, "longjobs.jobs.running");
        using var queued = Collector<int>(api, "longjobs.jobs.queued");
        await api.StartGatedAsync("first");
        await api.StartGatedAsync("second");
        await api.StartGatedAsync("third");
        await api.Gates["first"].Started;

        running.RecordObservableInstruments();
        queued.RecordObservableInstruments();

        Assert.Equal(1, running.LastMeasurement?.Value);
        Assert.Equal(2, queued.LastMeasurement?.Value);
    }

    [Fact]
    public async Task AJobsRun_IsAnActivityLinkedToTheActivityThatStartedIt()
    {
        using var requests = new ActivitySource("LongJobs.Tests.Requests");
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is LongJobsTelemetry.ActivitySourceName or "LongJobs.Tests.Requests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var api = await TestApi.StartAsync();
        var scheduler = api.App.Services.GetRequiredService<IJobScheduler>();

        ActivityContext request;
        LongRunningJobs jobs;
        using (var activity = requests.StartActivity("POST /exports"))
        {
            request = activity!.Context;
            jobs = new LongRunningJobs(
                await scheduler.StartAsync("export", (_, _) => Task.FromResult(42)),
                await scheduler.StartAsync<int>("broken-export", (_, _) => throw new InvalidOperationException("broken")));
        }

        await Task.WhenAll(jobs.Succeeding.Task, jobs.Failing.Task.ContinueWith(_ => { }, TaskScheduler.Default)).WithSafetyTimeout();
        await Eventually.TrueAsync(() => stopped.Count(activity => activity.Source.Name == LongJobsTelemetry.ActivitySourceName && IsOneOf(activity, jobs)) == 2, "Both runs end their activities.");

        var runs = stopped.Where(activity => IsOneOf(activity, jobs)).ToDictionary(activity => (string)activity.GetTagItem("longjobs.job.id")!);
        var succeeded = runs[jobs.Succeeding.Id.ToString()];
        Assert.Equal("process export", succeeded.DisplayName);
        Assert.Equal(ActivityKind.Consumer, succeeded.Kind);
        Assert.Equal(default, succeeded.ParentSpanId);
        var link = Assert.Single(succeeded.Links);
        Assert.Equal((request.TraceId, request.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.Equal("Succeeded", succeeded.GetTagItem("longjobs.job.status"));
        Assert.Equal(1, succeeded.GetTagItem("longjobs.job.attempt"));
        var failed = runs[jobs.Failing.Id.ToString()];
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal("Failed", failed.GetTagItem("longjobs.job.status"));
    }

    [Fact]
    public async Task HealthCheck_IsRegisteredByAddLongJobs_AndHealthyWhileTheStoreAnswers()
    {
        await using var api = await TestApi.StartAsync();

        var report = await api.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries[JobStoreHealthCheck.Name].Status);
    }

    private static MetricCollector<T> Collector<T>(TestApi api, string instrument)
        where T : struct =>
        new(api.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), LongJobsTelemetry.MeterName, instrument);

    private static bool IsOneOf(Activity activity, LongRunningJobs jobs) =>
        activity.GetTagItem("longjobs.job.id") is string id && (id == jobs.Succeeding.Id.ToString() || id == jobs.Failing.Id.ToString());

    private sealed record LongRunningJobs(LongRunningJob<int> Succeeding, LongRunningJob<int> Failing);
}
