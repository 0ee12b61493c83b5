using System.Diagnostics;
using System.Diagnostics.Metrics;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Observability;

/// <summary>
/// Reports LongJobs' metrics and traces (see <see cref="LongJobsTelemetry"/>). Finished jobs are counted from the
/// store's <see cref="IJobChangeFeed.JobFinished"/>, so every way a job ends counts once, on the server that ended it.
/// </summary>
internal sealed class JobInstrumentation : IDisposable
{
    private const string KindTag = "longjobs.job.kind";
    private const string StatusTag = "longjobs.job.status";

    private static readonly ActivitySource Source = new(LongJobsTelemetry.ActivitySourceName, typeof(JobInstrumentation).Assembly.GetName().Version?.ToString());

    /// <summary>Buckets for jobs of milliseconds to an hour (exporters' defaults suit milliseconds).</summary>
    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    };

    private readonly IJobChangeFeed _store;
    private readonly Meter _meter;
    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _waitTime;

    public JobInstrumentation(IMeterFactory meters, IJobChangeFeed store)
    {
        _store = store;
        _meter = meters.Create(LongJobsTelemetry.MeterName);
        _started = _meter.CreateCounter<long>("longjobs.jobs.started", "{job}", "Runs of jobs started on this server.");
        _finished = _meter.CreateCounter<long>("longjobs.jobs.finished", "{job}", "Jobs this server finished, by outcome.");
        _duration = _meter.CreateHistogram("longjobs.job.duration", "s", "From a finished job's last start to its end.", tags: null, SecondsBuckets);
        _waitTime = _meter.CreateHistogram("longjobs.job.wait_time", "s", "From a job's creation to the start of a run.", tags: null, SecondsBuckets);
        _store.JobFinished += OnJobFinished;
    }

    /// <summary>Reports this server's running jobs and the queue's length through <paramref name="running"/> and <paramref name="queued"/>, read when metrics are collected.</summary>
    public void Observe(Func<int> running, Func<int?> queued)
    {
        _meter.CreateObservableUpDownCounter("longjobs.jobs.running", running, "{job}", "Jobs running on this server.");
        _meter.CreateObservableGauge(
            "longjobs.jobs.queued",
            () => queued() is { } count ? [new Measurement<int>(count)] : Array.Empty<Measurement<int>>(),
            "{job}",
            "Jobs waiting in the store's queue, as this server last counted them.");
    }

    /// <summary>
    /// Counts the start of a run and starts its activity: a root, linked to the activity that started the job
    /// (<see cref="JobRecord.TraceParent"/>), so a trace shows the request and the job's run, however late and wherever.
    /// </summary>
    /// <returns>The run's activity, or <see langword="null"/> when nobody listens.</returns>
    public Activity? RunStarted(JobRecord running)
    {
        var kind = new KeyValuePair<string, object?>(KindTag, running.Kind);
        _started.Add(1, kind);
        if (running.StartedAt is { } startedAt)
        {
            // A job started for later waits from its time on, not from its creation.
            var waitingSince = running.NotBefore is { } notBefore && notBefore > running.CreatedAt ? notBefore : running.CreatedAt;
            _waitTime.Record((startedAt - waitingSince).TotalSeconds, kind);
        }

        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = running.TraceParent is { } parent && ActivityContext.TryParse(parent, traceState: null, out var context)
            ? [new ActivityLink(context)]
            : null;

        // A root of its own trace: a job outlives the request that started it, often by minutes, and may run elsewhere.
        // The run's flow is its own (the scheduler's task), so this changes nothing for the code that started the job.
        Activity.Current = null;
        var activity = Source.StartActivity($"process {running.Kind}", ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag("longjobs.job.id", running.Id.ToString())
            .SetTag(KindTag, running.Kind)
            .SetTag("longjobs.job.attempt", running.Attempt);
        return activity;
    }

    /// <summary>Ends a run's activity with the job's state after it: its status, and an error status when it failed.</summary>
    public static void RunEnded(Activity? activity, JobRecord after)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(StatusTag, NameOf(after.Status));
        if (after.Status == JobStatus.Failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, after.Error?.Title);
        }

        activity.Dispose();
    }

    /// <summary>The trace context to record with a new job: the current activity's, in W3C form.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    public void Dispose()
    {
        _store.JobFinished -= OnJobFinished;
        _meter.Dispose();
    }

    /// <summary>The status's name, without boxing it for <see cref="Enum.ToString()"/> on every finished job.</summary>
    private static string NameOf(JobStatus status) => status switch
    {
        JobStatus.Queued => nameof(JobStatus.Queued),
        JobStatus.Running => nameof(JobStatus.Running),
        JobStatus.Succeeded => nameof(JobStatus.Succeeded),
        JobStatus.Failed => nameof(JobStatus.Failed),
        JobStatus.Canceled => nameof(JobStatus.Canceled),
        _ => status.ToString(),
    };

    private void OnJobFinished(JobRecord job)
    {
        var tags = new TagList { { KindTag, job.Kind }, { StatusTag, NameOf(job.Status) } };
        if (job is { StartedAt: { } startedAt, CompletedAt: { } completedAt })
        {
            _duration.Record((completedAt - startedAt).TotalSeconds, tags);
        }

        _finished.Add(1, tags);
    }
}
