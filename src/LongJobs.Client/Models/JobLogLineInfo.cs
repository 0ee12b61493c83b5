using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>One line a job wrote to its log.</summary>
public class JobLogLineInfo
{
    /// <summary>When the job wrote it.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    /// <summary>Its level.</summary>
    [JsonPropertyName("level")]
    public JobLogLevel Level { get; set; }

    /// <summary>The attempt that wrote it.</summary>
    [JsonPropertyName("attempt")]
    public int Attempt { get; set; }

    /// <summary>The text.</summary>
    [JsonPropertyName("message")]
    public string Message { get; set; } = string.Empty;
}
