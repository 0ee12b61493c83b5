using Microsoft.Extensions.Logging;

namespace LongJobs.Server;

// Event IDs 26 to 29 are the email channel's (EmailLog in LongJobs.Server.Email); 30 to 39 are left to the PostgreSQL
// store; the scheduler's messages added in issue 12 start at 40, those of issue 13 (failure episodes of background
// activities, attempts taken over) at 43. No longer used, and not to be reused for another message: 7 (retention
// failed), 10 and 11 (store unreachable), 13, 14 and 42 (claiming failed, works again), 40 (following failed), which
// the failure episodes (43 to 46) replaced.
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Job {JobId} of kind {Kind} queued.")]
    public static partial void JobQueued(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(2, LogLevel.Warning, "Job {JobId} of kind {Kind} failed.")]
    public static partial void JobFailed(ILogger logger, Exception exception, Guid jobId, string kind);

    [LoggerMessage(3, LogLevel.Information, "Job {JobId} of kind {Kind} finished as {Status} in {Duration}.")]
    public static partial void JobFinished(ILogger logger, Guid jobId, string kind, Jobs.JobStatus status, TimeSpan duration);

    [LoggerMessage(4, LogLevel.Error, "Recording the state of job {JobId} failed.")]
    public static partial void StoreFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(5, LogLevel.Warning, "Job {JobId} of kind {Kind} did not stop within the shutdown timeout and was abandoned.")]
    public static partial void JobAbandoned(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(6, LogLevel.Information, "Stopping the job scheduler: {Queued} queued jobs cancelled, {Running} running jobs asked to stop.")]
    public static partial void Stopping(ILogger logger, int queued, int running);

    [LoggerMessage(8, LogLevel.Debug, "Removed {Count} finished jobs.")]
    public static partial void RetentionRemoved(ILogger logger, int count);

    [LoggerMessage(9, LogLevel.Warning, "Job {JobId} of kind {Kind} failed: its result has {Size} bytes of JSON, more than MaxResultSize.")]
    public static partial void ResultTooLarge(ILogger logger, Guid jobId, string kind, int size);

    [LoggerMessage(12, LogLevel.Warning, "Attempt {Attempt} of {MaxAttempts} of job {JobId} of kind {Kind} failed with a transient error; retrying in {Delay}.")]
    public static partial void JobRetrying(ILogger logger, Exception exception, Guid jobId, string kind, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(15, LogLevel.Information, "Job {JobId} of kind {Kind} went back to the queue: this server stopped during attempt {Attempt}.")]
    public static partial void JobRequeued(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(16, LogLevel.Warning, "Job {JobId} of kind {Kind} no longer runs in attempt {Attempt} here (another server took it over, or it was stopped); its work here is cancelled.")]
    public static partial void JobLost(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(17, LogLevel.Information, "Job {JobId} of kind {Kind} started: attempt {Attempt} of {MaxAttempts}.")]
    public static partial void JobStarted(ILogger logger, Guid jobId, string kind, int attempt, int maxAttempts);

    [LoggerMessage(18, LogLevel.Error, "A completion callback of job {JobId} of kind {Kind} failed; the job's outcome stands.")]
    public static partial void CompletionCallbackFailed(ILogger logger, Exception exception, Guid jobId, string kind);

    [LoggerMessage(41, LogLevel.Error, "The run of job {JobId} of kind {Kind} failed unexpectedly after its outcome was settled.")]
    public static partial void RunFailedUnexpectedly(ILogger logger, Exception exception, Guid jobId, string kind);

    [LoggerMessage(43, LogLevel.Information, "{Activity} failed: the job store cannot be reached ({Reason}). It keeps trying; a line will say when it works again.")]
    public static partial void StoreOutOfReach(ILogger logger, string activity, string reason);

    [LoggerMessage(44, LogLevel.Warning, "{Activity} failed unexpectedly. It keeps trying; a line will say when it works again.")]
    public static partial void ActivityFailed(ILogger logger, Exception exception, string activity);

    [LoggerMessage(45, LogLevel.Information, "{Activity} works again, after {Failures} failures in {Duration}.")]
    public static partial void ActivityRecovered(ILogger logger, string activity, int failures, TimeSpan duration);

    [LoggerMessage(46, LogLevel.Debug, "{Activity} failed again ({Failures} in a row): {Reason}")]
    public static partial void FailedAgain(ILogger logger, string activity, int failures, string reason);

    [LoggerMessage(47, LogLevel.Warning, "Attempt {Attempt} of job {JobId} of kind {Kind} was taken over (by another node or a later attempt); its outcome ({Status}) was not recorded.")]
    public static partial void AttemptTakenOver(ILogger logger, int attempt, Guid jobId, string kind, Jobs.JobStatus status);

    [LoggerMessage(48, LogLevel.Information, "Job {JobId} of kind {Kind} was claimed here again in attempt {Attempt} while attempt {Superseded} still held it here: the earlier attempt is cancelled and the new one runs.")]
    public static partial void AttemptSuperseded(ILogger logger, Guid jobId, string kind, int attempt, int superseded);

    // 50 to 59: the start path.
    [LoggerMessage(50, LogLevel.Information, "The job store lost its answer to storing job {JobId} of kind {Kind}; the job was read back, stored.")]
    public static partial void InsertFoundAfterLostAnswer(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(51, LogLevel.Warning, "The job store lost its answer to storing job {JobId} of kind {Kind} and cannot be reached to read it back: the job may have been stored, and would then run.")]
    public static partial void InsertOutcomeUnknown(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(52, LogLevel.Debug, "Job {JobId} of kind {Kind} scheduled for {NotBefore:O}.")]
    public static partial void JobScheduled(ILogger logger, Guid jobId, string kind, DateTimeOffset notBefore);

    [LoggerMessage(53, LogLevel.Debug, "A start of kind {Kind} was deduplicated: job {JobId} holds its unique key.")]
    public static partial void JobDeduplicated(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(54, LogLevel.Warning, "A start of kind {Kind} was refused: {Reason}")]
    public static partial void RequestRefusedByKind(ILogger logger, Exception? exception, string kind, string reason);

    // 60 to 69: scheduled jobs.
    [LoggerMessage(60, LogLevel.Debug, "{Count} scheduled jobs came due and were queued.")]
    public static partial void ScheduledJobsQueued(ILogger logger, int count);

    [LoggerMessage(61, LogLevel.Information, "Schedule {Schedule} started job {JobId} of kind {Kind}, due at {DueAt:O}.")]
    public static partial void OccurrenceStarted(ILogger logger, string schedule, Guid jobId, string kind, DateTimeOffset dueAt);

    [LoggerMessage(62, LogLevel.Warning, "Schedule {Schedule} missed its occurrences from {MissedFrom:O} to {DueAt:O}: one job starts now for them.")]
    public static partial void MissedOccurrencesRunOnce(ILogger logger, string schedule, DateTimeOffset missedFrom, DateTimeOffset dueAt);

    [LoggerMessage(63, LogLevel.Warning, "Schedule {Schedule} missed its occurrences from {MissedFrom:O} to {DueAt:O}: skipped, as its misfire policy says.")]
    public static partial void MissedOccurrencesSkipped(ILogger logger, string schedule, DateTimeOffset missedFrom, DateTimeOffset dueAt);

    [LoggerMessage(64, LogLevel.Information, "Schedule {Schedule} started no job for {DueAt:O}: an unfinished job of kind {Kind} holds the unique key of its request.")]
    public static partial void OccurrenceDeduplicated(ILogger logger, string schedule, string kind, DateTimeOffset dueAt);

    // 70 and 71: the jobs' own log lines (issue 16).
    [LoggerMessage(EventId = 70, Message = "Job {JobId} of kind {Kind}, attempt {Attempt}: {Message}")]
    public static partial void JobLogLine(ILogger logger, LogLevel level, Guid jobId, string kind, int attempt, string message);

    [LoggerMessage(71, LogLevel.Warning, "{Count} log lines of {Jobs} jobs were dropped: the job store could not take them, or more than {Pending} lines waited for it.")]
    public static partial void JobLogLinesDropped(ILogger logger, long count, int jobs, int pending);

    // 72 to 79: the dashboard and its operator actions (issue 16).
    [LoggerMessage(72, LogLevel.Information, "Job {JobId} of kind {Kind} was retried as job {RetryId}.")]
    public static partial void JobRetried(ILogger logger, Guid jobId, string kind, Guid retryId);
}
