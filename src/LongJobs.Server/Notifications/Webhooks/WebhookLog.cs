using Microsoft.Extensions.Logging;

namespace LongJobs.Server;

/// <summary>The webhook channel's log messages: event IDs 21 to 25.</summary>
internal static partial class Log
{
    [LoggerMessage(21, LogLevel.Information, "The webhook of job {JobId} was delivered to {Host} in attempt {Attempt}.")]
    public static partial void WebhookDelivered(ILogger logger, Guid jobId, string host, int attempt);

    [LoggerMessage(22, LogLevel.Warning, "Attempt {Attempt} of {MaxAttempts} to deliver the webhook of job {JobId} to {Host} failed: {Error} Retrying in {Delay}.")]
    public static partial void WebhookAttemptFailed(ILogger logger, Guid jobId, string host, int attempt, int maxAttempts, string error, TimeSpan delay);

    [LoggerMessage(23, LogLevel.Error, "Delivering the webhook of job {JobId} to {Host} was given up in attempt {Attempt}: {Error}")]
    public static partial void WebhookGivenUp(ILogger logger, Exception? exception, Guid jobId, string host, int attempt, string error);

    [LoggerMessage(24, LogLevel.Error, "The webhook of job {JobId} was not sent: {Reason}")]
    public static partial void WebhookRefused(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(25, LogLevel.Warning, "Recording how the webhook of job {JobId} went failed; its state may not show it.")]
    public static partial void WebhookNotRecorded(ILogger logger, Exception exception, Guid jobId);
}
