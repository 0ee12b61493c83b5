using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>How the delivery of one of a finished job's notifications (a webhook, an email) went.</summary>
public sealed class NotificationDelivery
{
    /// <summary>The channel: <c>webhook</c> or <c>email</c>.</summary>
    [JsonPropertyName("channel")]
    public string Channel { get; set; } = string.Empty;

    /// <summary>Where the delivery stands.</summary>
    [JsonPropertyName("status")]
    public NotificationDeliveryStatus Status { get; set; }

    /// <summary>How many times delivery was tried.</summary>
    [JsonPropertyName("attempts")]
    public int Attempts { get; set; }

    /// <summary>When delivery was last tried.</summary>
    [JsonPropertyName("lastAttemptAt")]
    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>Why the last try failed, or <see langword="null"/> when it did not.</summary>
    [JsonPropertyName("lastError")]
    public string? LastError { get; set; }

    /// <summary>When delivery is tried next, while it is <see cref="NotificationDeliveryStatus.Pending"/>; otherwise <see langword="null"/>.</summary>
    [JsonPropertyName("nextAttemptAt")]
    public DateTimeOffset? NextAttemptAt { get; set; }
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
