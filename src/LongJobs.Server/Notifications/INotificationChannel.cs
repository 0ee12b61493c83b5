using LongJobs.Server.Storage;

namespace LongJobs.Server.Notifications;

/// <summary>
/// A way to tell someone that a job finished (a webhook, an email), asked for when the job is started and
/// delivered by the server that finishes it.
/// </summary>
internal interface INotificationChannel
{
    /// <summary>The channel's name, as in <see cref="NotificationDelivery.Channel"/>.</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="notifications"/> asks for this channel.</summary>
    bool IsRequested(JobNotifications notifications);

    /// <summary>Checks what a start request asks of this channel, before the job is queued.</summary>
    /// <param name="notifications">What the request asks for; this channel is among it.</param>
    /// <returns>Why the request cannot be served (a 400 problem), or <see langword="null"/> when it can.</returns>
    string? Validate(JobNotifications notifications);

    /// <summary>
    /// Delivers the notification of a finished job, retrying as the channel's options say, and records how it went
    /// with <see cref="IJobStore.RecordDeliveryAsync"/>. Never changes the job's outcome.
    /// </summary>
    /// <param name="job">The job's final state.</param>
    /// <param name="cancellationToken">Signalled when the server stops: give up.</param>
    /// <returns>A task that completes when delivery succeeded or was given up.</returns>
    Task DeliverAsync(JobRecord job, CancellationToken cancellationToken);
}
