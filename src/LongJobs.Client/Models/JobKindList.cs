using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>The job kinds the server runs, by name.</summary>
public class JobKindList
{
    /// <summary>The kinds.</summary>
    [JsonPropertyName("items")]
    public IReadOnlyList<JobKindInfo> Items { get; set; } = [];
}
