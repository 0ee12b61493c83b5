using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution;

/// <summary>
/// Queues jobs of registered kinds whose requests the REST API has read and validated: for their owner, with the
/// client's idempotency key and notifications, and without a handle (nothing in this process awaits them). The REST
/// API starts jobs through this interface and cancels them through <see cref="IJobScheduler"/>.
/// </summary>
internal interface IRegisteredJobStarter
{
    /// <summary>
    /// Queues a job of <paramref name="kind"/> for its owner, or schedules it for <paramref name="notBefore"/> when that
    /// is still to come. When a job of that owner with the start's idempotency key exists already, or an unfinished job
    /// of the kind with its unique key, queues nothing and returns that job's state.
    /// </summary>
    /// <returns>The job's state, and how it was found: new, or the job that held a key.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<(JobRecord State, StartOutcome Outcome)> StartValidatedAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a job of <paramref name="kind"/> for each of <paramref name="starts"/>, all admitted together and stored
    /// together; each as <see cref="StartValidatedAsync"/> queues one (a key already taken, in the store or earlier in
    /// <paramref name="starts"/>, answers with the job that has it).
    /// </summary>
    /// <returns>Each start's job state, and how it was found, in the order of <paramref name="starts"/>.</returns>
    /// <exception cref="JobRejectedException">The queue has no room for all the jobs, or the host is stopping; nothing is queued.</exception>
    Task<IReadOnlyList<(JobRecord State, StartOutcome Outcome)>> StartValidatedManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, CancellationToken cancellationToken);
}

/// <summary>One job to queue: its validated request, its owner, the client's idempotency key, its notifications and its unique key.</summary>
/// <param name="Request">The kind's request, valid.</param>
/// <param name="Owner">Who starts the job, if anyone in particular.</param>
/// <param name="IdempotencyKey">The client's key for this start, if any.</param>
/// <param name="Notifications">Who to tell when the job finishes, if anyone.</param>
/// <param name="UniqueKey">The request's uniqueness key (<see cref="JobKind.UniqueKeyOf"/>), if its kind's jobs are unique.</param>
/// <param name="Priority">The job's own priority, or <see langword="null"/> for its kind's (<see cref="JobKind.PriorityOf"/>).</param>
/// <param name="RetryOf">The job this one retries, if it is a retry (<see cref="IJobScheduler.RetryAsync"/>).</param>
internal readonly record struct ValidatedStart(object Request, string? Owner, string? IdempotencyKey, JobNotifications? Notifications, string? UniqueKey, int? Priority = null, Guid? RetryOf = null);

/// <summary>What a start did: queued a new job, or found the job that held one of its keys.</summary>
internal enum StartOutcome
{
    /// <summary>A new job was queued or scheduled.</summary>
    New,

    /// <summary>The owner's job with the start's idempotency key: a repeat of an earlier start.</summary>
    IdempotentRepeat,

    /// <summary>The unfinished job of the kind with the start's unique key: the start was deduplicated.</summary>
    Deduplicated,
}
