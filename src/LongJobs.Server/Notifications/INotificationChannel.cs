using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Notifications;

/// <summary>
/// A way to tell someone that a job finished (a webhook, an email), asked for when the job is started and
/// delivered by the server that finishes it. Channels are registered as singletons
/// (<c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;INotificationChannel, TChannel&gt;())</c>): webhooks by
/// <c>AddWebhooks</c>, email by <c>AddEmail</c> of the LongJobs.Server.Email package.
/// </summary>
public interface INotificationChannel
{
    /// <summary>The channel's name, as in <see cref="NotificationDelivery.Channel"/>; the built-in ones are in <see cref="NotificationChannels"/>.</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="notifications"/> asks for this channel.</summary>
    /// <param name="notifications">What a job's start request asked for.</param>
    /// <returns><see langword="true"/> when the job asked to be notified through this channel.</returns>
    bool IsRequested(JobNotifications notifications);

    /// <summary>Checks what a start request asks of this channel, before the job is queued.</summary>
    /// <param name="notifications">What the request asks for; this channel is among it.</param>
    /// <returns>Why the request cannot be served (a 400 problem), or <see langword="null"/> when it can.</returns>
    string? Validate(JobNotifications notifications);

    /// <summary>
    /// Delivers the notification of a finished job, retrying as the channel's options say, and records how it went
    /// with <see cref="IJobDeliveryLog.RecordDeliveryAsync"/>. Never changes the job's outcome.
    /// </summary>
    /// <param name="job">The job's final state.</param>
    /// <param name="statusUrl">
    /// The job's status URL: absolute under <see cref="LongJobsOptions.PublicBaseUrl"/> when that is set, else a path.
    /// </param>
    /// <param name="cancellationToken">Signalled when the server stops: give up.</param>
    /// <returns>A task that completes when delivery succeeded or was given up.</returns>
    Task DeliverAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken);
}
