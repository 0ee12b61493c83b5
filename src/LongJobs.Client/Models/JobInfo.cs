using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>A job's state without its result. Generated per-kind states (such as <c>JobStateOfPrimesResult</c>) derive from it.</summary>
public class JobInfo
{
    /// <summary>The job's ID.</summary>
    [JsonPropertyName("id")]
    public Guid Id { get; set; }

    /// <summary>The job kind's name.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <summary>Where the job is in its lifecycle.</summary>
    [JsonPropertyName("status")]
    public JobStatus Status { get; set; }

    /// <summary>Completed fraction of the work, from 0 to 1.</summary>
    [JsonPropertyName("progress")]
    public double Progress { get; set; }

    /// <summary>The job's last progress message, if any.</summary>
    [JsonPropertyName("progressMessage")]
    public string? ProgressMessage { get; set; }

    /// <summary>When the job was accepted.</summary>
    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the job started running, once it has.</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the job finished, once it has.</summary>
    [JsonPropertyName("completedAt")]
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The time before which the job does not run, if it was started for later (<see cref="JobStatus.Scheduled"/> until then).</summary>
    [JsonPropertyName("notBefore")]
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>How soon the job is claimed among queued jobs: higher first (0 unless its kind or its start gave another).</summary>
    [JsonPropertyName("priority")]
    public int Priority { get; set; }

    /// <summary>How many times the job has started: 0 while it waits; a retry, or a new run after its server was lost, is the next attempt.</summary>
    [JsonPropertyName("attempt")]
    public int Attempt { get; set; }

    /// <summary>The most attempts the job may get.</summary>
    [JsonPropertyName("maxAttempts")]
    public int MaxAttempts { get; set; }

    /// <summary>Whether cancellation was requested.</summary>
    [JsonPropertyName("cancellationRequested")]
    public bool CancellationRequested { get; set; }

    /// <summary>Why the job failed or was stopped.</summary>
    [JsonPropertyName("error")]
    public ProblemDetails? Error { get; set; }

    /// <summary>How the webhook and email asked for when the job started were delivered, once tried.</summary>
    [JsonPropertyName("deliveries")]
    public IReadOnlyList<NotificationDelivery>? Deliveries { get; set; }

    /// <summary>The ID of the failed or cancelled job this one retries; <see langword="null"/> for any other job.</summary>
    [JsonPropertyName("retryOf")]
    public Guid? RetryOf { get; set; }

    /// <summary>Where to read the job's state.</summary>
    [JsonPropertyName("statusUrl")]
    public string StatusUrl { get; set; } = string.Empty;

    /// <summary>
    /// The version of this state (the response's <c>ETag</c>) when it was read from one job's response; the client sends
    /// it back in <c>If-None-Match</c> to wait for the next change.
    /// </summary>
    [JsonIgnore]
    public string? ETag { get; set; }

    /// <summary>Whether the job has reached a final state.</summary>
    [JsonIgnore]
    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled;
}
