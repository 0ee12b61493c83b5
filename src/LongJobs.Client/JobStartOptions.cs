namespace LongJobs.Client;

/// <summary>How to start a job, beyond its request: an idempotency key, notifications, a later start, a priority, and how long to wait for a quick result.</summary>
public sealed class JobStartOptions
{
    /// <summary>
    /// Makes the start safe to repeat: the server answers a repeated start with the same key and request with the job
    /// the key first started (header <c>Idempotency-Key</c>). 1 to 255 visible ASCII characters.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: each start gets a new key, kept across its retries.</value>
    public string? IdempotencyKey { get; set; }

    /// <summary>An absolute URL the server POSTs the job's final state to when it finishes (a signed webhook); the server must allow its host.</summary>
    /// <value>The default value is <see langword="null"/>: no webhook.</value>
    public Uri? CallbackUrl { get; set; }

    /// <summary>An email address the server tells when the job finishes; the server must allow its domain.</summary>
    /// <value>The default value is <see langword="null"/>: no email.</value>
    public string? NotifyEmail { get; set; }

    /// <summary>
    /// Starts the job for later: the earliest time it may run (header <c>LongJobs-Not-Before</c>). The job is
    /// <see cref="Models.JobStatus.Scheduled"/> until then; a time not in the future starts it now. Not with <see cref="Delay"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the job starts now.</value>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>
    /// Starts the job for later: how long after the server receives the start it may run, in whole seconds (header
    /// <c>LongJobs-Delay</c>, by the server's clock). Not with <see cref="NotBefore"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the job starts now.</value>
    public TimeSpan? Delay { get; set; }

    /// <summary>
    /// The job's own priority instead of its kind's (header <c>LongJobs-Priority</c>), from -1000 to 1000: higher is
    /// claimed first, and each level puts the job ahead of jobs one level below created up to a minute before it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the kind's priority.</value>
    public int? Priority { get; set; }

    /// <summary>
    /// How long the server may hold the start request for the job to finish (<c>Prefer: wait</c>): a job that finishes
    /// within it comes back finished, in one request. Servers cap it at 60 seconds.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: a start returns once the job is accepted, and a run waits
    /// <see cref="LongJobsClientOptions.StartWait"/>.
    /// </value>
    public TimeSpan? Wait { get; set; }
}
