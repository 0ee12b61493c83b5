using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>A recurring schedule of the server, and its state.</summary>
public class JobScheduleInfo
{
    /// <summary>The schedule's name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    /// <summary>The kind of the jobs it starts.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <summary>Its cron expression.</summary>
    [JsonPropertyName("cron")]
    public string Cron { get; set; } = string.Empty;

    /// <summary>The ID of the time zone the expression is read in.</summary>
    [JsonPropertyName("timeZone")]
    public string TimeZone { get; set; } = string.Empty;

    /// <summary>Whether it is paused: none of its occurrences starts.</summary>
    [JsonPropertyName("paused")]
    public bool Paused { get; set; }

    /// <summary>When it was paused, while it is.</summary>
    [JsonPropertyName("pausedAt")]
    public DateTimeOffset? PausedAt { get; set; }

    /// <summary>The due time of its next occurrence (in the past while a late one waits to start); absent while paused.</summary>
    [JsonPropertyName("nextRunAt")]
    public DateTimeOffset? NextRunAt { get; set; }

    /// <summary>The due time of the last occurrence that started a job.</summary>
    [JsonPropertyName("lastRunAt")]
    public DateTimeOffset? LastRunAt { get; set; }

    /// <summary>The ID of that job.</summary>
    [JsonPropertyName("lastJobId")]
    public Guid? LastJobId { get; set; }
}
