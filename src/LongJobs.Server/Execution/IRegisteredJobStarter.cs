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
    /// is still to come. When a job of that owner with the start's idempotency key exists already, queues nothing and
    /// returns that job's state.
    /// </summary>
    /// <returns>The job's state, and whether the job is new.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<(JobRecord State, bool IsNew)> StartValidatedAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a job of <paramref name="kind"/> for each of <paramref name="starts"/>, all admitted together and stored
    /// together; each as <see cref="StartValidatedAsync"/> queues one (a key already taken, in the store or earlier in
    /// <paramref name="starts"/>, answers with the job that has it).
    /// </summary>
    /// <returns>Each start's job state, and whether the job is new, in the order of <paramref name="starts"/>.</returns>
    /// <exception cref="JobRejectedException">The queue has no room for all the jobs, or the host is stopping; nothing is queued.</exception>
    Task<IReadOnlyList<(JobRecord State, bool IsNew)>> StartValidatedManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, CancellationToken cancellationToken);
}

/// <summary>One job to queue: its validated request, its owner, the client's idempotency key and its notifications.</summary>
/// <param name="Request">The kind's request, valid.</param>
/// <param name="Owner">Who starts the job, if anyone in particular.</param>
/// <param name="IdempotencyKey">The client's key for this start, if any.</param>
/// <param name="Notifications">Who to tell when the job finishes, if anyone.</param>
internal readonly record struct ValidatedStart(object Request, string? Owner, string? IdempotencyKey, JobNotifications? Notifications);
