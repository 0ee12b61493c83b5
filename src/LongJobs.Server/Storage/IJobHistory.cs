using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// The jobs' history, a role of <see cref="IJobStore"/>: the attempts of each job and the lines it logged, kept with the
/// job and removed with it. A store records the attempts itself, as part of the changes of <see cref="IJobAttempts"/>,
/// <see cref="IQueuedJobs.ClaimAsync"/>, <see cref="IQueuedJobs.TryRequeueAsync"/> and its recovery of lost servers' jobs:
/// an attempt opens when the job starts running in it, and closes with the change that ends it (outcome
/// <see cref="JobAttemptOutcome.Succeeded"/>, <see cref="JobAttemptOutcome.Failed"/> or <see cref="JobAttemptOutcome.Canceled"/>
/// when the job finishes, <see cref="JobAttemptOutcome.Retried"/> for a next attempt or a hand-over to the queue,
/// <see cref="JobAttemptOutcome.Lost"/> when its server was lost).
/// </summary>
public interface IJobHistory
{
    /// <summary>Reads a job's attempts and log.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The history, or <see langword="null"/> when the job is unknown or was removed.</returns>
    ValueTask<JobHistory?> GetHistoryAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends log lines to their jobs' logs, in the order given, and keeps only the last <paramref name="keepLast"/> of
    /// each job's lines (older ones are removed and counted in <see cref="JobHistory.RemovedLogLines"/>). Lines of a job
    /// the store does not have (removed meanwhile) are dropped. A store writes them in as few statements as it can.
    /// </summary>
    /// <param name="entries">The lines, each with its job's ID.</param>
    /// <param name="keepLast">How many lines of each job to keep, 1 or more.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes once the lines are stored.</returns>
    ValueTask AppendLogAsync(IReadOnlyList<JobLogEntry> entries, int keepLast, CancellationToken cancellationToken = default);
}

/// <summary>A log line for <see cref="IJobHistory.AppendLogAsync"/>.</summary>
/// <param name="JobId">The job that wrote it.</param>
/// <param name="Line">The line.</param>
public sealed record JobLogEntry(Guid JobId, JobLogLine Line);
