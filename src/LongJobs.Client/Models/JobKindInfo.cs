using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>A job kind the server runs, and whether it is paused.</summary>
public class JobKindInfo
{
    /// <summary>The kind's name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    /// <summary>Whether the kind is paused: its queued jobs wait.</summary>
    [JsonPropertyName("paused")]
    public bool Paused { get; set; }

    /// <summary>When it was paused, while it is.</summary>
    [JsonPropertyName("pausedAt")]
    public DateTimeOffset? PausedAt { get; set; }
}
