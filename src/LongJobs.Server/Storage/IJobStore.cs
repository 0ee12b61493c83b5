using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// Holds the state of every job: what the REST API reads and what the executor writes, and the queue of jobs of
/// registered kinds. Implementations may be shared by many server instances, so every change is a single guarded
/// operation on the stored state (it happens only when the job is in the expected status and attempt) and nothing
/// in the contract refers to in-process objects such as tasks or delegates.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Whether jobs outlive this process and other servers sharing the store may run them. A scheduler on a
    /// durable store leaves queued jobs of registered kinds in the store when it stops, for the next server.
    /// </summary>
    bool IsDurable { get; }

    /// <summary>
    /// For a store that keeps jobs in this process's memory (not <see cref="IsDurable"/>): when it started, so a job
    /// created before then is missing because the process restarted, not because it was removed. <see langword="null"/>
    /// for a durable store.
    /// </summary>
    DateTimeOffset? InMemorySince { get; }

    /// <summary>
    /// Adds a new job in the <see cref="JobStatus.Queued"/> status, unless it has an
    /// <see cref="JobRecord.IdempotencyKey"/> that a stored job of the same <see cref="JobRecord.Owner"/> already
    /// has: then nothing is added and that job is returned. Concurrent inserts with one owner and key add one job;
    /// jobs of different owners never share a key.
    /// </summary>
    /// <param name="job">The job to add; its <see cref="JobRecord.Id"/> must be new.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored snapshot: of <paramref name="job"/>, or of the owner's job that already had its idempotency key.</returns>
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

    /// <summary>Counts the <see cref="JobStatus.Queued"/> jobs of every kind, up to <paramref name="countAtMost"/>.</summary>
    /// <param name="countAtMost">Where to stop counting: the caller only needs to know whether the queue is this long.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of queued jobs, or <paramref name="countAtMost"/> when there are at least that many.</returns>
    ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the oldest queued jobs of registered kinds (those with a <see cref="JobRecord.Request"/>) among
    /// <paramref name="kinds"/> and starts them: each becomes <see cref="JobStatus.Running"/> in its next attempt.
    /// Concurrent claims, from this server or others sharing the store, never take the same job.
    /// </summary>
    /// <param name="kinds">The kinds the caller can run.</param>
    /// <param name="limit">How many jobs to take at most.</param>
    /// <param name="startedAt">When they start.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The started jobs, oldest first; empty when none is waiting.</returns>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when a job may have been queued by another server sharing the store, or queued again after its
    /// server was lost, since the call; it may also complete when nothing was queued. A store no other server
    /// shares may never complete it: the scheduler knows about its own jobs.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A task that completes when it is worth claiming again.</returns>
    Task WaitForQueuedJobsAsync(CancellationToken cancellationToken);

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
    /// in place: progress starts again from zero, with <paramref name="message"/>.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="failedAttempt">The attempt that failed; the job must be running in it.</param>
    /// <param name="message">Says why and when the job runs again.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, string message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a job running in attempt <paramref name="attempt"/> back in the queue, for any server to claim: how a
    /// stopping server hands over the jobs it could not finish. A job asked to cancel is cancelled instead.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="attempt">The attempt that stops.</param>
    /// <param name="message">Says why the job waits again.</param>
    /// <param name="at">When the attempt stopped: the completion time if the job is cancelled instead.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default);

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
    /// Records how the delivery of one of a job's notifications went, replacing the previous record for the same
    /// <see cref="NotificationDelivery.Channel"/>; the job's status does not change, its version does.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="delivery">The delivery's state.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is unknown or was removed.</returns>
    ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raised after a call on this instance moved a job to a finished status (<see cref="TryFinishAsync"/>,
    /// <see cref="RequestCancellationAsync"/> of a queued job, <see cref="TryRequeueAsync"/> of a job asked to
    /// cancel, or the store's recovery of jobs whose server was lost), with the finished snapshot: once per job, on
    /// the server whose call finished it. Handlers run on the caller's thread: they must return quickly and not throw.
    /// </summary>
    event Action<JobRecord>? JobFinished;

    /// <summary>
    /// Calls <paramref name="onChanged"/> with the ID of every job that is added or changes, here or on any server
    /// sharing the store, until the returned object is disposed; with <see cref="Guid.Empty"/> when changes may have
    /// been missed (a lost connection), so the watcher reads again what it shows. Calls come on any thread, possibly
    /// several for one change, and must return quickly.
    /// </summary>
    /// <param name="onChanged">Called with the ID of a job that changed.</param>
    /// <returns>Ends the watch when disposed.</returns>
    IDisposable WatchChanges(Action<Guid> onChanged);

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

    /// <summary>
    /// Removes one finished job, as retention would: it can no longer be read, its waiters learn it is gone, and its
    /// <see cref="JobRecord.IdempotencyKey"/> is free again. A queued or running job is not removed.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the job was removed: <see langword="false"/> when it is unfinished, or unknown.</returns>
    ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default);
}
