using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// The jobs' records, a role of <see cref="IJobStore"/>: adds a job, reads one or a page, asks one to cancel, removes a
/// finished one. What the REST API and the scheduler's submission and cancellation use.
/// </summary>
public interface IJobRecords
{
    /// <summary>
    /// Adds a new job in the <see cref="JobStatus.Queued"/> status (or <see cref="JobStatus.Scheduled"/>, with its
    /// <see cref="JobRecord.NotBefore"/>, when <paramref name="job"/> is scheduled), unless it has an
    /// <see cref="JobRecord.IdempotencyKey"/> that a stored job of the same <see cref="JobRecord.Owner"/> already
    /// has, or else a <see cref="JobRecord.UniqueKey"/> that an unfinished job of the same <see cref="JobRecord.Kind"/>
    /// has: then nothing is added and that job is returned. Concurrent inserts with one owner and idempotency key, or
    /// one kind and unique key, add one job; jobs of different owners never share an idempotency key.
    /// </summary>
    /// <param name="job">The job to add; its <see cref="JobRecord.Id"/> must be new; a scheduled job must have a <see cref="JobRecord.NotBefore"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored snapshot: of <paramref name="job"/>, or of the job that already had its idempotency key or unique key.</returns>
    ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a new job as <see cref="InsertAsync"/> does, but started at once in its first attempt on the calling server, as
    /// <see cref="IQueuedJobs.ClaimAsync"/> (a job of a registered kind) or <see cref="IJobAttempts.TryStartAsync"/> (an
    /// ad-hoc job) would start it: <see cref="JobStatus.Running"/>, <see cref="JobRecord.StartedAt"/> set, under the
    /// server's lease where the store has leases. In one write: how a server with a free slot starts a job without
    /// queueing it first. A job of a paused kind (<see cref="IKindPauses"/>) is added queued instead, as
    /// <see cref="InsertAsync"/> adds it.
    /// </summary>
    /// <param name="job">The job to add, as for <see cref="InsertAsync"/>; not scheduled.</param>
    /// <param name="startedAt">When it starts.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>
    /// The stored snapshot: of <paramref name="job"/>, running (or queued, when its kind is paused); or of the job that
    /// already had its idempotency key or unique key, unchanged.
    /// </returns>
    ValueTask<JobRecord> InsertStartedAsync(JobRecord job, DateTimeOffset startedAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds many new jobs at once, each as <see cref="InsertAsync"/> adds one: an item whose
    /// <see cref="JobRecord.IdempotencyKey"/> its owner has used already, or whose <see cref="JobRecord.UniqueKey"/> an
    /// unfinished job of its kind has, in the store or earlier in <paramref name="jobs"/>, adds nothing and gets that job. A store writes them in as few statements as it can.
    /// </summary>
    /// <param name="jobs">The jobs to add; their <see cref="JobRecord.Id"/>s must be new and distinct.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored snapshot of each item, in the order of <paramref name="jobs"/>.</returns>
    ValueTask<IReadOnlyList<JobRecord>> InsertManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default);

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

    /// <summary>
    /// Cancels a queued job at once (it never runs), and marks a running job as asked to cancel for the server
    /// running it to stop it; does nothing to a finished job.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="canceledAt">The completion time of a queued job cancelled now.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The job's current snapshot, or <see langword="null"/> when it is unknown.</returns>
    ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes one finished job, as retention would: it can no longer be read, its waiters learn it is gone, and its
    /// <see cref="JobRecord.IdempotencyKey"/> is free again. Its notifications still to deliver go with it (where
    /// retention may keep such a job). A queued or running job is not removed.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the job was removed: <see langword="false"/> when it is unfinished, or unknown.</returns>
    ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default);
}
