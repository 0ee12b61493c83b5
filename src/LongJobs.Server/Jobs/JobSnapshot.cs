using System.Text.Json;

namespace LongJobs.Server.Jobs;

/// <summary>
/// An immutable snapshot of one job's state, as its users see it: <see cref="LongRunningJob.State"/>, the result of
/// cancelling a job, and <see cref="FinishedJob.State"/>. Every change of the job makes a new snapshot with a higher
/// <see cref="Version"/>.
/// </summary>
public sealed record JobSnapshot
{
    /// <summary>The job's unique identifier.</summary>
    public required Guid Id { get; init; }

    /// <summary>The job kind's name: a registered kind, or the name given to an ad-hoc job.</summary>
    public required string Kind { get; init; }

    /// <summary>Where the job is in its lifecycle.</summary>
    public required JobStatus Status { get; init; }

    /// <summary>Completed fraction of the work, from 0 to 1.</summary>
    public double Progress { get; init; }

    /// <summary>A short description of the current step, as the job last reported it.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>When the job was accepted.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job started running, once it has.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The time before which the job does not run, if it was started for later (<see cref="JobStatus.Scheduled"/> until then).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>How soon the job is claimed among queued jobs: higher first, a minute of waiting per level (0 by default).</summary>
    public int Priority { get; init; }

    /// <summary>When the job finished, once it has.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The job this one retries, when it was started as a retry of a failed or cancelled job (<c>IJobScheduler.RetryAsync</c>); <see langword="null"/> otherwise.</summary>
    public Guid? RetryOf { get; init; }

    /// <summary>
    /// How many times the job has started running: 0 while it waits for its first run. A retry after a transient
    /// failure, or a new run after the server running it was lost, is the next attempt.
    /// </summary>
    public int Attempt { get; init; }

    /// <summary>The most attempts the job may get; 1 for ad-hoc jobs, which cannot run again.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Whether someone asked for the job to be cancelled.</summary>
    public bool CancellationRequested { get; init; }

    /// <summary>The serialised result once the job has <see cref="JobStatus.Succeeded"/>.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why the job failed, or why it was cancelled when the server stopped it (shutdown); <see langword="null"/> otherwise.</summary>
    public JobError? Error { get; init; }

    /// <summary>How the deliveries of the notifications asked for when the job started went, one per channel, once tried.</summary>
    public IReadOnlyList<NotificationDelivery> Deliveries { get; init; } = [];

    /// <summary>
    /// Who started the job: the identifier of the authenticated principal that asked for it, or <see langword="null"/>
    /// when nobody in particular did (an anonymous request, or an ad-hoc job started in code).
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>Increases with every change of the job; tells snapshots of one job apart (the REST API's ETag).</summary>
    public long Version { get; init; }
}
