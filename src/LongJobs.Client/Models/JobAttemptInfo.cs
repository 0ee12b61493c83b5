using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>One attempt of a job: one run of its work, on one server.</summary>
public class JobAttemptInfo
{
    /// <summary>Which attempt it is, from 1.</summary>
    [JsonPropertyName("number")]
    public int Number { get; set; }

    /// <summary>When it started.</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When it ended, or <see langword="null"/> while it runs.</summary>
    [JsonPropertyName("endedAt")]
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The server (node) that ran it, when known.</summary>
    [JsonPropertyName("node")]
    public string? Node { get; set; }

    /// <summary>How it ended, or <see langword="null"/> while it runs.</summary>
    [JsonPropertyName("outcome")]
    public JobAttemptOutcome? Outcome { get; set; }

    /// <summary>Why it did not succeed, when known.</summary>
    [JsonPropertyName("error")]
    public ProblemDetails? Error { get; set; }
}
