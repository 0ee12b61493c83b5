using System.Text.Json.Serialization;

namespace LongJobs.Server.Jobs;

/// <summary>How the delivery of one of a finished job's notifications went, as its job's state shows it.</summary>
public sealed record NotificationDelivery
{
    /// <summary>The channel: <see cref="NotificationChannels.Webhook"/> or <see cref="NotificationChannels.Email"/>.</summary>
    public required string Channel { get; init; }

    /// <summary>Where the delivery stands.</summary>
    public NotificationDeliveryStatus Status { get; init; }

    /// <summary>How many times delivery was tried.</summary>
    public int Attempts { get; init; }

    /// <summary>When delivery was last tried.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>Why the last try failed, or <see langword="null"/> when it did not.</summary>
    public string? LastError { get; init; }

    /// <summary>When delivery is tried next, while it is <see cref="NotificationDeliveryStatus.Pending"/>; otherwise <see langword="null"/>.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
}

/// <summary>Where the delivery of a notification stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NotificationDeliveryStatus>))]
public enum NotificationDeliveryStatus
{
    /// <summary>Being delivered: waiting for its first or next attempt.</summary>
    Pending,

    /// <summary>The receiver accepted it.</summary>
    Delivered,

    /// <summary>Every try failed; no more are made.</summary>
    Failed,
}

/// <summary>The names of the built-in notification channels.</summary>
public static class NotificationChannels
{
    /// <summary>An HTTP POST of the job's final state to its callback URL.</summary>
    public const string Webhook = "webhook";

    /// <summary>An email to the job's recipient.</summary>
    public const string Email = "email";
}
