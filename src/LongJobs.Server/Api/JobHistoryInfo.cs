using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>A job's attempts and the last lines of its log: what <c>GET {prefix}/{id}/history</c> answers.</summary>
public sealed class JobHistoryInfo
{
    /// <summary>The job's ID.</summary>
    [Required]
    public required Guid Id { get; init; }

    /// <summary>Every attempt, the first first; the last has no outcome while it runs.</summary>
    [Required]
    public required IReadOnlyList<JobAttemptInfo> Attempts { get; init; }

    /// <summary>The last lines the job logged, oldest first (the server keeps a bounded number per job).</summary>
    [Required]
    public required IReadOnlyList<JobLogLineInfo> Log { get; init; }

    /// <summary>How many older lines were removed to keep within the server's bound.</summary>
    [Required]
    public required int RemovedLogLines { get; init; }

    internal static JobHistoryInfo From(Guid id, JobHistory history) => new()
    {
        Id = id,
        Attempts = [.. history.Attempts.Select(attempt => new JobAttemptInfo
        {
            Number = attempt.Number,
            StartedAt = attempt.StartedAt,
            EndedAt = attempt.EndedAt,
            Node = attempt.Node,
            Outcome = attempt.Outcome,
            Error = attempt.Error is { } error ? JobInfo.ToProblem(error) : null,
        })],
        Log = [.. history.Log.Select(line => new JobLogLineInfo { Time = line.Time, Level = (JobLogLevel)line.Level, Attempt = line.Attempt, Message = line.Message })],
        RemovedLogLines = history.RemovedLogLines,
    };
}

/// <summary>One attempt of a job: one run of its work, on one server.</summary>
public sealed class JobAttemptInfo
{
    /// <summary>Which attempt it is, from 1.</summary>
    [Required]
    public required int Number { get; init; }

    /// <summary>When it started (for an attempt after a transient failure, when the retry's backoff ended).</summary>
    [Required]
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended; absent while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The server (node) that ran it, when known.</summary>
    public string? Node { get; init; }

    /// <summary>How it ended; absent while it runs.</summary>
    public JobAttemptOutcome? Outcome { get; init; }

    /// <summary>Why it did not succeed, when known, as RFC 9457 problem details.</summary>
    public ProblemDetails? Error { get; init; }
}

/// <summary>One line a job wrote to its log.</summary>
public sealed class JobLogLineInfo
{
    /// <summary>When the job wrote it.</summary>
    [Required]
    public required DateTimeOffset Time { get; init; }

    /// <summary>Its level.</summary>
    [Required]
    public required JobLogLevel Level { get; init; }

    /// <summary>The attempt that wrote it.</summary>
    [Required]
    public required int Attempt { get; init; }

    /// <summary>The text.</summary>
    [Required]
    public required string Message { get; init; }
}

/// <summary>The level of a job's log line: <see cref="Microsoft.Extensions.Logging.LogLevel"/>'s, as the REST contract names them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobLogLevel>))]
public enum JobLogLevel
{
    /// <summary>The most detailed messages.</summary>
    Trace,

    /// <summary>Messages for debugging.</summary>
    Debug,

    /// <summary>The general flow of the job.</summary>
    Information,

    /// <summary>Something unexpected that did not stop the job.</summary>
    Warning,

    /// <summary>A failure of the current step.</summary>
    Error,

    /// <summary>A failure that needs immediate attention.</summary>
    Critical,
}
