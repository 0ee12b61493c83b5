using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// Holds the state of every job: what the REST API reads and what the executor writes. Implementations may be
/// shared by many server instances, so every change is a single guarded operation on the stored state (it
/// happens only when the job is in the expected status) and nothing in the contract refers to in-process
/// objects such as tasks or delegates.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Adds a new job in the <see cref="JobStatus.Queued"/> status, unless it has an
    /// <see cref="JobRecord.IdempotencyKey"/> that a stored job already has: then nothing is added and that job
    /// is returned. Concurrent inserts with one key add one job.
    /// </summary>
    /// <param name="job">The job to add; its <see cref="JobRecord.Id"/> must be new.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored snapshot: of <paramref name="job"/>, or of the job that already had its idempotency key.</returns>
    ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The job, or <see langword="null"/> when it is unknown or was removed by retention.</returns>
    ValueTask<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Reads one page of jobs, newest first, without their requests and results (a list shows neither).</summary>
    /// <param name="query">Filters and the page to read.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Moves a job from <see cref="JobStatus.Queued"/> to <see cref="JobStatus.Running"/>.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="startedAt">When it started.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not queued (cancelled or unknown).</returns>
    ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default);

    /// <summary>Records progress of a <see cref="JobStatus.Running"/> job.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="progress">Completed fraction, from 0 to 1.</param>
    /// <param name="message">A short description of the current step, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running.</returns>
    ValueTask<JobRecord?> TryReportProgressAsync(Guid id, double progress, string? message, CancellationToken cancellationToken = default);

    /// <summary>Moves a job from <paramref name="expectedStatus"/> to the finished status of <paramref name="outcome"/>.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="expectedStatus">The status the job must be in for the change to happen.</param>
    /// <param name="outcome">How the job finished.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job was not in <paramref name="expectedStatus"/>.</returns>
    ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, JobOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Marks an unfinished job as asked to cancel; does nothing to a finished one.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The job's current snapshot, or <see langword="null"/> when it is unknown.</returns>
    ValueTask<JobRecord?> RequestCancellationAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Waits until a job's snapshot is newer than <paramref name="knownVersion"/>.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="knownVersion">The <see cref="JobRecord.Version"/> the caller already has.</param>
    /// <param name="cancellationToken">Ends the wait; the caller's timeout goes here.</param>
    /// <returns>The newer snapshot, or <see langword="null"/> when the job is unknown or was removed.</returns>
    ValueTask<JobRecord?> WaitForChangeAsync(Guid id, long knownVersion, CancellationToken cancellationToken = default);

    /// <summary>Removes finished jobs that finished before <paramref name="finishedBefore"/>, and the oldest
    /// finished jobs beyond the newest <paramref name="keepAtMost"/>.</summary>
    /// <param name="finishedBefore">Jobs finished before this instant are removed.</param>
    /// <param name="keepAtMost">How many finished jobs to keep at most.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many jobs were removed.</returns>
    ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default);
}
