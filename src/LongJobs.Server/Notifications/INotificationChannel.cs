using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Notifications;

/// <summary>
/// A way to tell someone that a job finished (a webhook, an email), asked for when the job is started. A channel
/// makes single attempts; LongJobs schedules them, records each in the job's deliveries, logs them, and keeps what is
/// still to deliver in the store's outbox (<see cref="IJobOutbox"/>), so on a shared store any server delivers it, even
/// when the server that finished the job is gone. Delivery is at least once: an attempt cut short by a server that
/// dies is made again. Channels are registered as singletons
/// (<c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;INotificationChannel, TChannel&gt;())</c>): webhooks by
/// <c>AddWebhooks</c>, email by <c>AddEmail</c> of the LongJobs.Server.Email package.
/// </summary>
public interface INotificationChannel
{
    /// <summary>The channel's name, as in <see cref="NotificationDelivery.Channel"/>; the built-in ones are in <see cref="NotificationChannels"/>.</summary>
    string Name { get; }

    /// <summary>
    /// How long to wait after each failed attempt before the next, with random jitter of up to a fifth either way:
    /// the first entry follows the first attempt. When the attempt after the last wait fails too, delivery is given up.
    /// </summary>
    IReadOnlyList<TimeSpan> RetryDelays { get; }

    /// <summary>Whether <paramref name="notifications"/> asks for this channel.</summary>
    /// <param name="notifications">What a job's start request asked for.</param>
    /// <returns><see langword="true"/> when the job asked to be notified through this channel.</returns>
    bool IsRequested(JobNotifications notifications);

    /// <summary>Checks what a start request asks of this channel, before the job is queued.</summary>
    /// <param name="notifications">What the request asks for; this channel is among it.</param>
    /// <returns>Why the request cannot be served (a 400 problem), or <see langword="null"/> when it can.</returns>
    string? Validate(JobNotifications notifications);

    /// <summary>
    /// Makes one attempt to deliver the notification of a finished job, within the channel's own time limit. An
    /// exception counts as a failure worth trying again.
    /// </summary>
    /// <param name="job">The job's final state.</param>
    /// <param name="statusUrl">
    /// The job's status URL: absolute under <see cref="LongJobsOptions.PublicBaseUrl"/> when that is set, else a path.
    /// </param>
    /// <param name="cancellationToken">Signalled when the server stops: give up the attempt.</param>
    /// <returns>Whether the notification was delivered, may be tried again, or can never be delivered.</returns>
    Task<DeliveryAttemptResult> SendAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken);
}
