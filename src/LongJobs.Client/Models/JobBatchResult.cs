using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>The answer to a batch start: one result per item, in the order of the items.</summary>
public class JobBatchResult
{
    /// <summary>Each item's result.</summary>
    [JsonPropertyName("items")]
    public IReadOnlyList<JobBatchItemResult> Items { get; set; } = [];
}

/// <summary>What became of one item of a batch start: its job, or its problem.</summary>
public class JobBatchItemResult
{
    /// <summary>The status a single start of the item would have answered: 202 with its job, 200 with the job that holds its unique key, or a 4xx with its problem.</summary>
    [JsonPropertyName("status")]
    public int Status { get; set; }

    /// <summary>The item's job (new, found by its idempotency key, or holding its unique key), as the server answered it; <see langword="null"/> with a problem.</summary>
    [JsonPropertyName("job")]
    public JobState? Job { get; set; }

    /// <summary>Whether the item started no job because an unfinished job of the kind holds its unique key: <see cref="Job"/> is that job.</summary>
    [JsonPropertyName("deduplicated")]
    public bool Deduplicated { get; set; }

    /// <summary>Why the item started no job (with <c>errors</c> for an invalid item); <see langword="null"/> with a job.</summary>
    [JsonPropertyName("problem")]
    public ProblemDetails? Problem { get; set; }
}
