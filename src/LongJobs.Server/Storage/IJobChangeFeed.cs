namespace LongJobs.Server.Storage;

/// <summary>
/// The changes of the jobs, a role of <see cref="IJobStore"/>: for who waits for a job to change, watches every change
/// (here or on any server sharing the store), or counts and notifies the jobs this server finished.
/// </summary>
public interface IJobChangeFeed
{
    /// <summary>
    /// Raised after a call on this instance moved a job to a finished status
    /// (<see cref="IJobAttempts.TryFinishAsync"/>, <see cref="IJobRecords.RequestCancellationAsync"/> of a queued job,
    /// <see cref="IQueuedJobs.TryRequeueAsync"/> of a job asked to cancel, or the store's recovery of jobs whose server was
    /// lost), with the finished snapshot: once per job, on the server whose call finished it. Handlers run on the caller's thread: they must return quickly and not throw.
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
}
