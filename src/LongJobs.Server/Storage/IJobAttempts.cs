using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// A job's attempts, a role of <see cref="IJobStore"/>: what the server running a job writes, each change guarded by
/// the job's expected status and attempt, so a server that lost a job cannot overwrite its next run.
/// </summary>
public interface IJobAttempts
{
    /// <summary>Starts one queued job, in its next attempt: how a server starts the ad-hoc jobs only it can run.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="startedAt">When it started.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not queued (cancelled or unknown).</returns>
    ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default);

    /// <summary>Records progress of a job running in attempt <paramref name="attempt"/>.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="attempt">The attempt that reports.</param>
    /// <param name="progress">Completed fraction, from 0 to 1.</param>
    /// <param name="message">A short description of the current step, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the next attempt of a job whose attempt <paramref name="failedAttempt"/> failed and will be retried
    /// in place: progress starts again from zero, with the retry's message. The failed attempt is recorded as
    /// <see cref="JobAttemptOutcome.Retried"/> with the retry's error, and the next one as starting at its
    /// <see cref="JobRetry.NextStartsAt"/> (<see cref="IJobHistory"/>).
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="failedAttempt">The attempt that failed; the job must be running in it.</param>
    /// <param name="retry">The failure and when the next attempt starts.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, JobRetry retry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a job from <paramref name="expectedStatus"/> in attempt <paramref name="expectedAttempt"/> to the
    /// finished status of <paramref name="outcome"/>.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="expectedStatus">The status the job must be in for the change to happen.</param>
    /// <param name="expectedAttempt">The attempt the job must be in: the one that finishes, or the current one of a queued job.</param>
    /// <param name="outcome">How the job finished.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job was not in that status and attempt.</returns>
    ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default);
}
