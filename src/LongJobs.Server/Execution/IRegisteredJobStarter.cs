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
    /// Queues a job of <paramref name="kind"/> for <paramref name="owner"/>. When a job of that owner with
    /// <paramref name="idempotencyKey"/> exists already, queues nothing and returns that job's state.
    /// </summary>
    /// <returns>The job's state, and whether the job is new.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<(JobRecord State, bool IsNew)> StartValidatedAsync(JobKind kind, object request, string? owner, string? idempotencyKey, JobNotifications? notifications, CancellationToken cancellationToken);
}
