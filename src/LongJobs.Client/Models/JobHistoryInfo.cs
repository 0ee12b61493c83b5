using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>A job's attempts and the last lines of its log.</summary>
public class JobHistoryInfo
{
    /// <summary>The job's ID.</summary>
    [JsonPropertyName("id")]
    public Guid Id { get; set; }

    /// <summary>Every attempt, the first first; the last has no outcome while it runs.</summary>
    [JsonPropertyName("attempts")]
    public IReadOnlyList<JobAttemptInfo> Attempts { get; set; } = [];

    /// <summary>The last lines the job logged, oldest first.</summary>
    [JsonPropertyName("log")]
    public IReadOnlyList<JobLogLineInfo> Log { get; set; } = [];

    /// <summary>How many older lines the server removed to keep within its bound per job.</summary>
    [JsonPropertyName("removedLogLines")]
    public int RemovedLogLines { get; set; }
}
