using Microsoft.Extensions.Logging;

namespace LongJobs.Server;

/// <summary>The log messages of notification deliveries: event IDs 21 to 25.</summary>
internal static partial class Log
{
    [LoggerMessage(21, LogLevel.Information, "The {Channel} notification of job {JobId} was delivered in attempt {Attempt}.")]
    public static partial void NotificationDelivered(ILogger logger, string channel, Guid jobId, int attempt);

    [LoggerMessage(22, LogLevel.Warning, "Attempt {Attempt} to deliver the {Channel} notification of job {JobId} failed: {Error} It is tried again at {NextAttemptAt:O}.")]
    public static partial void NotificationAttemptFailed(ILogger logger, string channel, Guid jobId, int attempt, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(23, LogLevel.Error, "Delivering the {Channel} notification of job {JobId} was given up after attempt {Attempt}: {Error} The job's outcome stands.")]
    public static partial void NotificationGivenUp(ILogger logger, string channel, Guid jobId, int attempt, string error);

    [LoggerMessage(24, LogLevel.Warning, "The {Channel} channel threw in attempt {Attempt} to deliver the notification of job {JobId}: the attempt failed, and is tried again as one that did.")]
    public static partial void NotificationChannelThrew(ILogger logger, Exception exception, string channel, Guid jobId, int attempt);

    [LoggerMessage(25, LogLevel.Information, "The {Channel} notification of job {JobId} was cut short in attempt {Attempt}: the server is stopping. It is made again by the next server to take the job's notifications.")]
    public static partial void NotificationAttemptAbandoned(ILogger logger, string channel, Guid jobId, int attempt);
}
