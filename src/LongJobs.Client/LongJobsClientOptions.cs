using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace LongJobs.Client;

/// <summary>Where the LongJobs server is, and how the client retries and waits.</summary>
public sealed class LongJobsClientOptions
{
    /// <summary>The server's base address, for example <c>http://localhost:5080/</c>.</summary>
    /// <value>The default value is <see langword="null"/>: set it, or configure the <see cref="HttpClient"/> yourself.</value>
    public Uri? BaseAddress { get; set; }

    /// <summary>The path of the jobs API relative to <see cref="BaseAddress"/>.</summary>
    /// <value>The default value is <c>api/jobs/</c>.</value>
    [Required]
    public string JobsPath { get; set; } = "api/jobs/";

    /// <summary>How many times a request is retried after a transient failure (network error, timeout, 408, 429, 5xx).</summary>
    /// <value>The default value is 5.</value>
    [Range(0, 100)]
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; later retries back off exponentially, with jitter. At most <see cref="MaxRetryDelay"/>.</summary>
    /// <value>The default value is 500 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between retries, including delays a server asks for with <c>Retry-After</c>.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may take before it counts as a transient failure; must exceed <see cref="LongPollWait"/>.</summary>
    /// <value>The default value is 100 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How long the server may hold one status request while waiting for a job to change (long-poll): for its end, or
    /// for its next progress when progress is followed. Zero polls instead.
    /// </summary>
    /// <value>The default value is 30 seconds; servers cap it at 60.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan LongPollWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The first delay between status requests when the server does not long-poll and sends no <c>Retry-After</c>.
    /// At most <see cref="MaxPollingInterval"/>; not zero when <see cref="LongPollWait"/> is.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between status requests.</summary>
    /// <value>The default value is 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the server may hold the start request of <c>Run…JobAsync</c> without progress for a job that finishes
    /// quickly (<c>Prefer: wait</c>), so such a job costs one request; zero starts and then waits. A run with progress
    /// starts at once, so that every change is reported.
    /// </summary>
    /// <value>The default value is 2 seconds; servers cap it at 60.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan StartWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How requests are written and results read: match the server's <c>LongJobsOptions.SerializerOptions</c> when
    /// it changes them (converters, naming, number handling).
    /// </summary>
    /// <value>The default value is <see cref="JsonSerializerOptions.Web"/>, as the server's default.</value>
    [Required]
    public JsonSerializerOptions SerializerOptions { get; set; } = JsonSerializerOptions.Web;

    /// <summary>The clock for delays and timeouts; tests replace it.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    [Required]
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
