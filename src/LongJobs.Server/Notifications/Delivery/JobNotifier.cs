using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Notifications.Delivery;

/// <summary>
/// Makes the due attempts of a finished job's notifications, one per channel the job asked for, side by side: records
/// each in the job's deliveries (delivered, pending until its next attempt, or failed for good), logs it, and says when
/// the job's next attempt is due. A channel that throws has failed an attempt worth trying again. A built-in channel
/// the job asked for that this server lacks (another server sharing the store has it) fails its attempt the same way,
/// so a server that has it makes the next one, and it is given up after the Standard Webhooks schedule if none does.
/// </summary>
internal sealed class JobNotifier(
    IEnumerable<INotificationChannel> channels,
    IJobDeliveryLog deliveries,
    JobLinks links,
    TimeProvider time,
    ILogger<JobNotifier> logger)
{
    private readonly INotificationChannel[] _channels = [.. channels];
    private readonly FailureEpisode _recording = new("Recording notification deliveries", logger, time);

    /// <summary>Whether any channel is registered: without one, nothing is ever delivered.</summary>
    public bool HasChannels => _channels.Length > 0;

    /// <summary>Makes the attempts of <paramref name="job"/>'s notifications that are due now.</summary>
    /// <param name="job">The finished job, with its deliveries so far.</param>
    /// <param name="cancellationToken">Signalled when the server stops: the attempts in flight are given up, unrecorded.</param>
    /// <returns>When the job's next attempt is due, or <see langword="null"/> when every notification was delivered or given up.</returns>
    public async Task<DateTimeOffset?> DeliverDueAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (job.Notifications is not { IsEmpty: false } notifications)
        {
            return null;
        }

        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        List<Task<DateTimeOffset?>>? attempts = null;
        foreach (var channel in Requested(notifications))
        {
            var record = job.Deliveries.FirstOrDefault(delivery => delivery.Channel == channel.Name);
            if (record is { Status: not NotificationDeliveryStatus.Pending })
            {
                continue;
            }

            if (record?.NextAttemptAt > now)
            {
                next = Earliest(next, record.NextAttemptAt);
                continue;
            }

            (attempts ??= []).Add(AttemptAsync(channel, job, record?.Attempts ?? 0, cancellationToken));
        }

        if (attempts is not null)
        {
            foreach (var due in await Task.WhenAll(attempts).ConfigureAwait(false))
            {
                next = Earliest(next, due);
            }
        }

        return next;
    }

    /// <summary>The channels <paramref name="notifications"/> asks for: those registered here, and the built-in ones this server lacks.</summary>
    private IEnumerable<INotificationChannel> Requested(JobNotifications notifications)
    {
        foreach (var channel in _channels.Where(channel => channel.IsRequested(notifications)))
        {
            yield return channel;
        }

        string?[] builtIn = [notifications.CallbackUrl is null ? null : NotificationChannels.Webhook, notifications.Email is null ? null : NotificationChannels.Email];
        foreach (var name in builtIn.OfType<string>().Where(name => !_channels.Any(channel => channel.Name == name)))
        {
            yield return new MissingChannel(name);
        }
    }

    /// <summary>One attempt through one channel, recorded: returns when the channel's next attempt is due, if any.</summary>
    private async Task<DateTimeOffset?> AttemptAsync(INotificationChannel channel, JobRecord job, int attemptsSoFar, CancellationToken cancellationToken)
    {
        var attempt = attemptsSoFar + 1;
        DeliveryAttemptResult result;
        try
        {
            result = await channel.SendAsync(job, links.StatusUrl(job.Id), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.NotificationAttemptAbandoned(logger, channel.Name, job.Id, attempt);
            throw;
        }
        catch (Exception exception)
        {
            Log.NotificationChannelThrew(logger, exception, channel.Name, job.Id, attempt);
            result = DeliveryAttemptResult.TryAgain($"The {channel.Name} channel failed unexpectedly ({exception.GetType().Name}).");
        }

        var delivery = Next(channel, attempt, result);
        switch (delivery.Status)
        {
            case NotificationDeliveryStatus.Delivered:
                Log.NotificationDelivered(logger, channel.Name, job.Id, attempt);
                break;
            case NotificationDeliveryStatus.Pending:
                Log.NotificationAttemptFailed(logger, channel.Name, job.Id, attempt, result.Error!, delivery.NextAttemptAt!.Value);
                break;
            default:
                Log.NotificationGivenUp(logger, channel.Name, job.Id, attempt, result.Error!);
                break;
        }

        try
        {
            await deliveries.RecordDeliveryAsync(job.Id, delivery, CancellationToken.None).ConfigureAwait(false);
            _recording.Worked();
        }
        catch (Exception exception)
        {
            // The job's deliveries miss this attempt: it is made again (at least once), after a wait, not at once.
            _recording.Failed(exception);
            return delivery.NextAttemptAt ?? time.GetUtcNow() + (channel.RetryDelays.Count > 0 ? channel.RetryDelays[0] : DeliverySchedules.StandardWebhooks[0]);
        }

        return delivery.NextAttemptAt;
    }

    /// <summary>What the channel's delivery becomes after attempt <paramref name="attempt"/> ended as <paramref name="result"/> says.</summary>
    private NotificationDelivery Next(INotificationChannel channel, int attempt, DeliveryAttemptResult result)
    {
        var at = time.GetUtcNow();
        var delivery = new NotificationDelivery { Channel = channel.Name, Attempts = attempt, LastAttemptAt = at, LastError = result.Error };
        return result.Outcome switch
        {
            DeliveryAttemptOutcome.Delivered => delivery with { Status = NotificationDeliveryStatus.Delivered },
            DeliveryAttemptOutcome.TryAgain when attempt <= channel.RetryDelays.Count =>
                delivery with { Status = NotificationDeliveryStatus.Pending, NextAttemptAt = at + Jittered(channel.RetryDelays[attempt - 1]) },
            _ => delivery with { Status = NotificationDeliveryStatus.Failed },
        };
    }

    /// <summary>A delay with random jitter of up to a fifth either way, so receivers that come back are not hit all at once.</summary>
    private static TimeSpan Jittered(TimeSpan delay) => delay * (0.8 + (0.4 * Random.Shared.NextDouble()));

    /// <summary>A built-in channel a job asked for that this server lacks: its attempts fail, for a server that has it to make the next.</summary>
    private sealed class MissingChannel(string name) : INotificationChannel
    {
        public string Name { get; } = name;

        public IReadOnlyList<TimeSpan> RetryDelays => DeliverySchedules.StandardWebhooks;

        public bool IsRequested(JobNotifications notifications) => true;

        public string? Validate(JobNotifications notifications) => null;

        public Task<DeliveryAttemptResult> SendAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken) =>
            Task.FromResult(DeliveryAttemptResult.TryAgain($"The server that took this job's notifications has no {Name} channel: register it on every server sharing the store."));
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? one, DateTimeOffset? other) =>
        one is null ? other : other is null ? one : one < other ? one : other;
}
