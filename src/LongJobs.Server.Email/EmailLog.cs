using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// The email channel's log messages: event IDs 26 to 29, kept from when the channel was part of LongJobs.Server, whose
/// own messages do not use them.
/// </summary>
internal static partial class EmailLog
{
    [LoggerMessage(26, LogLevel.Information, "Emailed the outcome of job {JobId} in attempt {Attempt}.")]
    public static partial void EmailSent(ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(27, LogLevel.Warning, "Attempt {Attempt} of {MaxAttempts} to email the outcome of job {JobId} failed; trying again in {Delay}.")]
    public static partial void EmailAttemptFailed(ILogger logger, Exception exception, Guid jobId, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(28, LogLevel.Error, "Emailing the outcome of job {JobId} was given up after {Attempts} attempts: {Reason} The job's outcome stands.")]
    public static partial void EmailGivenUp(ILogger logger, Exception? exception, Guid jobId, int attempts, string reason);

    [LoggerMessage(29, LogLevel.Warning, "Recording how the email of job {JobId} went failed.")]
    public static partial void EmailDeliveryNotRecorded(ILogger logger, Exception exception, Guid jobId);
}
