using Microsoft.Extensions.Logging;

namespace LongJobs.Server;

// Event IDs 26 to 29 are the email channel's (EmailLog in LongJobs.Server.Email); 30 to 39 are left to the PostgreSQL
// store; the scheduler's messages added in issue 12 start at 40.
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

    [LoggerMessage(7, LogLevel.Error, "Removing expired jobs failed.")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Removed {Count} finished jobs.")]
    public static partial void RetentionRemoved(ILogger logger, int count);

    [LoggerMessage(9, LogLevel.Warning, "Job {JobId} of kind {Kind} failed: its result has {Size} bytes of JSON, more than MaxResultSize.")]
    public static partial void ResultTooLarge(ILogger logger, Guid jobId, string kind, int size);

    [LoggerMessage(10, LogLevel.Warning, "The job store is unreachable while recording job {JobId}; trying again in {Delay}.")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception, Guid jobId, TimeSpan delay);

    [LoggerMessage(11, LogLevel.Warning, "The progress of job {JobId} was not recorded: the job store is unreachable.")]
    public static partial void ProgressNotRecorded(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(12, LogLevel.Warning, "Attempt {Attempt} of {MaxAttempts} of job {JobId} of kind {Kind} failed with a transient error; retrying in {Delay}.")]
    public static partial void JobRetrying(ILogger logger, Exception exception, Guid jobId, string kind, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(13, LogLevel.Warning, "Taking jobs from the queue failed: the job store is unreachable. Trying again when notified or polling.")]
    public static partial void ClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "Taking jobs from the queue works again.")]
    public static partial void ClaimRecovered(ILogger logger);

    [LoggerMessage(15, LogLevel.Information, "Job {JobId} of kind {Kind} went back to the queue: this server stopped during attempt {Attempt}.")]
    public static partial void JobRequeued(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(16, LogLevel.Warning, "Job {JobId} of kind {Kind} no longer runs in attempt {Attempt} here (another server took it over, or it was stopped); its work here is cancelled.")]
    public static partial void JobLost(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(17, LogLevel.Information, "Job {JobId} of kind {Kind} started: attempt {Attempt} of {MaxAttempts}.")]
    public static partial void JobStarted(ILogger logger, Guid jobId, string kind, int attempt, int maxAttempts);

    [LoggerMessage(18, LogLevel.Error, "A completion callback of job {JobId} of kind {Kind} failed; the job's outcome stands.")]
    public static partial void CompletionCallbackFailed(ILogger logger, Exception exception, Guid jobId, string kind);

    [LoggerMessage(19, LogLevel.Error, "The {Channel} notification of job {JobId} failed; the job's outcome stands.")]
    public static partial void NotificationFailed(ILogger logger, Exception exception, string channel, Guid jobId);

    [LoggerMessage(20, LogLevel.Warning, "The {Channel} notification of job {JobId} was abandoned: the server is stopping.")]
    public static partial void NotificationAbandoned(ILogger logger, string channel, Guid jobId);

    [LoggerMessage(40, LogLevel.Error, "Following job {JobId} in the store failed; asking again in {Delay}.")]
    public static partial void FollowingFailed(ILogger logger, Exception exception, Guid jobId, TimeSpan delay);

    [LoggerMessage(41, LogLevel.Error, "The run of job {JobId} of kind {Kind} failed unexpectedly after its outcome was settled.")]
    public static partial void RunFailedUnexpectedly(ILogger logger, Exception exception, Guid jobId, string kind);

    [LoggerMessage(42, LogLevel.Error, "Taking jobs from the queue failed unexpectedly; trying again when notified or polling.")]
    public static partial void ClaimFailedUnexpectedly(ILogger logger, Exception exception);

    // 50 to 59: the start path (issue 13).
    [LoggerMessage(50, LogLevel.Information, "The job store lost its answer to storing job {JobId} of kind {Kind}; the job was read back, stored.")]
    public static partial void InsertFoundAfterLostAnswer(ILogger logger, Guid jobId, string kind);

    [LoggerMessage(51, LogLevel.Warning, "The job store lost its answer to storing job {JobId} of kind {Kind} and cannot be reached to read it back: the job may have been stored, and would then run.")]
    public static partial void InsertOutcomeUnknown(ILogger logger, Guid jobId, string kind);
}
