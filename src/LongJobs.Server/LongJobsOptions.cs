using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace LongJobs.Server;

/// <summary>Settings of the job executor, retention and API. Validated when the host starts.</summary>
public sealed class LongJobsOptions
{
    /// <summary>How many jobs run at once in this process: ad-hoc jobs started here, and jobs of registered kinds it takes from the store's queue.</summary>
    /// <value>The default value is five per processor, at most 20.</value>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = Math.Min(Environment.ProcessorCount * 5, 20);

    /// <summary>
    /// How many jobs may wait in the store's queue (shared by every server on the same store); past that, starting
    /// a job here is refused (HTTP 429). The limit is approximate: concurrent starts may overshoot it by a few, and
    /// on a store shared with other servers (PostgreSQL) each server counts the queue at most every 100
    /// milliseconds, keeping the count up to date with its own starts and claims in between, so jobs other servers
    /// queued or took meanwhile count only from the next count on.
    /// </summary>
    /// <value>The default value is 1000.</value>
    [Range(0, 1_000_000)]
    public int MaxQueuedJobs { get; set; } = 1000;

    /// <summary>
    /// The absolute URL where clients reach this application (for example <c>https://jobs.example.com</c>), for links
    /// made outside a request: the status URL in a webhook's body and in an email. Without it, webhooks carry the
    /// status URL as a path, and emails cannot link to the job.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// The role whose members see and cancel every job through the REST API, whoever owns it: their lists and streams
    /// of every job show all jobs. Other callers see only their own jobs and jobs without an owner (see
    /// <see cref="Security.IJobOwnerResolver"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nobody sees the jobs of others.</value>
    [MinLength(1)]
    public string? AdministratorRole { get; set; }

    /// <summary>How long finished jobs, with their results, stay available.</summary>
    /// <value>The default value is 24 hours.</value>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan RetainFinishedJobsFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many finished jobs are kept at most; the oldest finished are removed first.</summary>
    /// <value>The default value is 10,000.</value>
    [Range(1, 10_000_000)]
    public int MaxRetainedJobs { get; set; } = 10_000;

    /// <summary>How often expired finished jobs are removed.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a server looks in the queue of a store shared with other servers when no notification came:
    /// notifications wake it at once, this covers lost ones.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long running jobs get to honour cancellation when the host stops; then they are abandoned. Stopped
    /// jobs end cancelled, or, on a durable store, go back to the queue for the next server while they have
    /// attempts left.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The shortest time between two progress writes of one job: the first report of a burst is written at once, the
    /// latest of those that follow at the end of the interval (a report of 1, and the final state, at once), so a job
    /// may report progress in a tight loop without hammering the store and a waiter still sees where it got to.
    /// </summary>
    /// <value>The default value is 250 milliseconds; zero writes every report.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ProgressWriteInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How many of its log lines (<see cref="Jobs.JobContext.Log"/>) the store keeps per job: the last ones; older lines
    /// are removed as new ones come, and counted. Zero keeps none (the lines still go to the server's log).
    /// </summary>
    /// <value>The default value is 200.</value>
    [Range(0, 10_000)]
    public int MaxLogLinesPerJob { get; set; } = 200;

    /// <summary>
    /// How long the jobs' log lines wait in this server's buffer before they are written to the store, all jobs' lines
    /// in one write; a job's lines are written at once when its attempt ends.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan LogWriteInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The polling interval suggested to clients in <c>Retry-After</c> while a job is unfinished.</summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SuggestedPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often an event stream (<c>GET /api/jobs/{id}/events</c>, <c>GET /api/jobs/events</c>) with nothing to
    /// say sends a comment, so proxies and load balancers keep the idle connection open and a vanished client is
    /// noticed.
    /// </summary>
    /// <value>The default value is 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan EventStreamHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The longest an event stream stays open; then it ends, and a browser's <c>EventSource</c> reconnects with
    /// <c>Last-Event-ID</c> and misses nothing. Bounds what one request holds, and lets load balancers rebalance.
    /// </summary>
    /// <value>The default value is 30 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxEventStreamDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How many event streams one caller (an owner, or an address for anonymous callers) may have open at once on
    /// this server; more are refused with 429.
    /// </summary>
    /// <value>The default value is 10.</value>
    [Range(1, 100_000)]
    public int MaxEventStreamsPerCaller { get; set; } = 10;

    /// <summary>
    /// How many long-polls (<c>?wait=N</c>, <c>Prefer: wait=N</c>) one caller (an owner, or an address for anonymous
    /// callers) may have waiting at once on this server; beyond it a status request answers at once, without
    /// <c>Preference-Applied</c>, with <c>Retry-After</c>.
    /// </summary>
    /// <value>The default value is 1000.</value>
    [Range(1, 1_000_000)]
    public int MaxLongPollsPerCaller { get; set; } = 1000;

    /// <summary>The <c>Retry-After</c> sent when a job is refused because the queue is full.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan QueueFullRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>Retry-After</c> sent with 503 when the job store cannot be reached.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StoreUnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a failed job's state shows its exception's type and message. Otherwise callers see a generic
    /// message and the exception goes only to the log.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: only in the Development environment.</value>
    public bool? IncludeExceptionDetails { get; set; }

    /// <summary>The largest request body accepted when starting a job, in bytes.</summary>
    /// <value>The default value is 1 MiB.</value>
    [Range(1, int.MaxValue)]
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>The largest result kept, in bytes of JSON; a job whose result is larger fails with a clear problem.</summary>
    /// <value>The default value is 1 MiB.</value>
    [Range(1, int.MaxValue)]
    public long MaxResultSize { get; set; } = 1024 * 1024;

    /// <summary>How job requests and results are serialised, in the store and on the wire.</summary>
    /// <value>
    /// The default value uses <see cref="JsonSerializerDefaults.Web"/> (camelCase, case-insensitive names) but reads
    /// numbers strictly (<c>"5"</c> is not a number) and refuses an object that names a property twice (which of the two
    /// values was meant?).
    /// </value>
    [Required]
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        AllowDuplicateProperties = false,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}
