using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>The server's recurring schedules, by name.</summary>
public class JobScheduleList
{
    /// <summary>The schedules.</summary>
    [JsonPropertyName("items")]
    public IReadOnlyList<JobScheduleInfo> Items { get; set; } = [];
}
