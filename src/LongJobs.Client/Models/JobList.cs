using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>One page of jobs, newest first.</summary>
public class JobList
{
    /// <summary>The jobs on this page.</summary>
    [JsonPropertyName("items")]
    public IReadOnlyList<JobInfo> Items { get; set; } = [];

    /// <summary>Pass as <c>pageToken</c> to read the next page; <see langword="null"/> on the last page.</summary>
    [JsonPropertyName("nextPageToken")]
    public string? NextPageToken { get; set; }
}
