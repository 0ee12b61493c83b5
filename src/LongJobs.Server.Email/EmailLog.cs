using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// The email channel's log messages, which add to LongJobs' own lines about each attempt the SMTP failure's details:
/// event ID 27, one of those LongJobs.Server's own messages do not use.
/// </summary>
internal static partial class EmailLog
{
    [LoggerMessage(27, LogLevel.Debug, "An attempt to email the outcome of job {JobId} failed (worth another attempt: {Transient}).")]
    public static partial void EmailAttemptFailed(ILogger logger, Exception exception, Guid jobId, bool transient);
}
