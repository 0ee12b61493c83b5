using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// An immutable snapshot of one job's state as a <see cref="IJobStore"/> holds it. Every change makes a new
/// snapshot with a higher <see cref="Version"/>.
/// </summary>
public sealed record JobRecord : IJobSnapshotSource
{
    /// <summary>The job's unique identifier.</summary>
    public required Guid Id { get; init; }

    /// <summary>The job kind's name: a registered kind, or the name given to an ad-hoc job.</summary>
    public required string Kind { get; init; }

    /// <summary>Where the job is in its lifecycle.</summary>
    public JobStatus Status { get; init; } = JobStatus.Queued;

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

    /// <summary>When the job finished, once it has.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>
    /// The serialised request of a registered kind, from which any server that has the kind can run the job;
    /// <see langword="null"/> for ad-hoc jobs, which only the server that started them can run.
    /// </summary>
    public JsonElement? Request { get; init; }

    /// <summary>The serialised result once the job has <see cref="JobStatus.Succeeded"/>.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why the job failed, or why it was cancelled when the server stopped it (shutdown); <see langword="null"/> otherwise.</summary>
    public JobError? Error { get; init; }

    /// <summary>
    /// Who started the job: the identifier of the authenticated principal that asked for it, or <see langword="null"/>
    /// when nobody in particular did (an anonymous request, or an ad-hoc job started in code). Never empty. The REST
    /// API shows a job with an owner only to its owner and to administrators.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>
    /// The client's <c>Idempotency-Key</c> for the request that started the job, if any: a store keeps at most one
    /// job per <see cref="Owner"/> and key, for as long as it keeps the job.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// How soon the job is claimed among queued jobs: each level puts it ahead of the jobs one level below that were
    /// created up to a minute before it (<see cref="IQueuedJobs.ClaimAsync"/>). From <see cref="Kinds.JobKindOptions.MinPriority"/>
    /// to <see cref="Kinds.JobKindOptions.MaxPriority"/>; 0 by default.
    /// </summary>
    public int Priority { get; init; }

    /// <summary>
    /// The job's place in the queue, as a time: <see cref="CreatedAt"/> less a minute per level of <see cref="Priority"/>.
    /// Stores claim queued jobs in this order, then by <see cref="Id"/>.
    /// </summary>
    public DateTimeOffset ClaimAt => CreatedAt - (Priority * TimeSpan.FromMinutes(1));

    /// <summary>
    /// The job's uniqueness key, computed from its request when its kind's jobs are unique: a store keeps at most one
    /// unfinished (scheduled, queued or running) job per <see cref="Kind"/> and key, whoever its owner.
    /// </summary>
    public string? UniqueKey { get; init; }

    /// <summary>
    /// How many times the job has started running: 0 while it waits for its first run. A retry after a transient
    /// failure, or a new run after the server running it was lost, is the next attempt. Stores accept progress and
    /// outcomes only from the current attempt, so a server that lost a job cannot overwrite its next run.
    /// </summary>
    public int Attempt { get; init; }

    /// <summary>The most attempts the job may get; 1 for ad-hoc jobs, which cannot run again.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Who to tell when the job finishes, or <see langword="null"/> when nobody asked.</summary>
    public JobNotifications? Notifications { get; init; }

    /// <summary>How the deliveries of <see cref="Notifications"/> went, one per channel, once tried.</summary>
    public IReadOnlyList<NotificationDelivery> Deliveries { get; init; } = [];

    /// <summary>
    /// The W3C trace context (<c>traceparent</c>) of the activity that started the job, if any: each attempt's
    /// activity links to it, on whichever server runs it.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// The job this one retries: a new job of the same kind, request, owner and priority, started for a job that
    /// <see cref="JobStatus.Failed"/> or was <see cref="JobStatus.Canceled"/>; <see langword="null"/> for any other job.
    /// Written once by the insert; the retried job itself never changes.
    /// </summary>
    public Guid? RetryOf { get; init; }

    /// <summary>Whether someone asked for the job to be cancelled.</summary>
    public bool CancellationRequested { get; init; }

    /// <summary>Increases with every change; lets waiters and writers tell snapshots apart.</summary>
    public long Version { get; init; }

    /// <summary>The job's state as its users may see it: everything but what only stores and servers need.</summary>
    JobSnapshot IJobSnapshotSource.ToSnapshot() => ToSnapshot();

    /// <summary>The job's state as its users may see it: the one conversion from a row to a <see cref="JobSnapshot"/>.</summary>
    internal JobSnapshot ToSnapshot() => new()
    {
        Id = Id,
        Kind = Kind,
        Status = Status,
        Progress = Progress,
        ProgressMessage = ProgressMessage,
        CreatedAt = CreatedAt,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
        NotBefore = NotBefore,
        Priority = Priority,
        Attempt = Attempt,
        MaxAttempts = MaxAttempts,
        CancellationRequested = CancellationRequested,
        Result = Result,
        Error = Error,
        Deliveries = Deliveries,
        Owner = Owner,
        RetryOf = RetryOf,
        Version = Version,
    };
}
