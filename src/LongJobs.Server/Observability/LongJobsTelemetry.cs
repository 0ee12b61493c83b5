namespace LongJobs.Server.Observability;

/// <summary>
/// The names LongJobs reports metrics and traces under, to subscribe to with OpenTelemetry
/// (<c>.WithMetrics(m => m.AddMeter(LongJobsTelemetry.MeterName))</c>, <c>.WithTracing(t => t.AddSource(LongJobsTelemetry.ActivitySourceName))</c>)
/// or any <see cref="System.Diagnostics.Metrics.MeterListener"/> and <see cref="System.Diagnostics.ActivityListener"/>.
/// </summary>
public static class LongJobsTelemetry
{
    /// <summary>
    /// The meter: <c>longjobs.jobs.started</c> (runs started on this server, by <c>longjobs.job.kind</c>; a job taken
    /// over after its server was lost starts again), <c>longjobs.jobs.finished</c> (jobs this server ended, by kind and
    /// <c>longjobs.job.status</c>), <c>longjobs.job.duration</c> and <c>longjobs.job.wait_time</c> (histograms, seconds),
    /// <c>longjobs.jobs.running</c> and <c>longjobs.jobs.queued</c> (this server's running jobs, and the queue's length
    /// as this server last counted it).
    /// </summary>
    public const string MeterName = "LongJobs";

    /// <summary>
    /// The activity source: one <c>process {kind}</c> activity (kind Consumer) per run of a job on a server, retries in
    /// place included, linked to the activity that started the job, with the job's ID, kind, attempt and final status as tags.
    /// </summary>
    public const string ActivitySourceName = "LongJobs";
}
