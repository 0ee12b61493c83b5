using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>A job's state without its result: what lists and the answer to a start request show.</summary>
public class JobInfo
{
    /// <summary>Creates an empty state, for serialisers.</summary>
    public JobInfo()
    {
    }

    /// <summary>Copies <paramref name="info"/>.</summary>
    /// <param name="info">The state to copy.</param>
    [SetsRequiredMembers]
    protected JobInfo(JobInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Id = info.Id;
        Kind = info.Kind;
        Status = info.Status;
        Progress = info.Progress;
        ProgressMessage = info.ProgressMessage;
        CreatedAt = info.CreatedAt;
        StartedAt = info.StartedAt;
        CompletedAt = info.CompletedAt;
        NotBefore = info.NotBefore;
        Priority = info.Priority;
        Attempt = info.Attempt;
        MaxAttempts = info.MaxAttempts;
        CancellationRequested = info.CancellationRequested;
        Error = info.Error;
        Deliveries = info.Deliveries;
        RetryOf = info.RetryOf;
        StatusUrl = info.StatusUrl;
    }

    /// <summary>The API's view of a stored job.</summary>
    internal static JobInfo From(JobSnapshot job, string statusUrl) => new()
    {
        Id = job.Id,
        Kind = job.Kind,
        Status = job.Status,
        Progress = job.Progress,
        ProgressMessage = job.ProgressMessage,
        CreatedAt = job.CreatedAt,
        StartedAt = job.StartedAt,
        CompletedAt = job.CompletedAt,
        NotBefore = job.NotBefore,
        Priority = job.Priority,
        Attempt = job.Attempt,
        MaxAttempts = job.MaxAttempts,
        CancellationRequested = job.CancellationRequested,
        Error = job.Error is { } error ? ToProblem(error) : null,
        Deliveries = job.Deliveries.Count > 0 ? job.Deliveries : null,
        RetryOf = job.RetryOf,
        StatusUrl = statusUrl,
    };

    internal static ProblemDetails ToProblem(JobError error)
    {
        var problem = new ProblemDetails { Type = error.Type, Title = error.Title, Detail = error.Detail };
        if (error.ExceptionType is not null)
        {
            problem.Extensions["exceptionType"] = error.ExceptionType;
        }

        return problem;
    }

    /// <summary>The job's ID.</summary>
    [Required]
    public required Guid Id { get; init; }

    /// <summary>The job kind's name.</summary>
    [Required]
    public required string Kind { get; init; }

    /// <summary>Where the job is in its lifecycle.</summary>
    [Required]
    public required JobStatus Status { get; init; }

    /// <summary>Completed fraction of the work, from 0 to 1.</summary>
    [Required]
    public required double Progress { get; init; }

    /// <summary>The job's last progress message, if any.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>When the job was accepted.</summary>
    [Required]
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job started running, once it has.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the job finished, once it has.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The time before which the job does not run, if it was started for later (status <c>Scheduled</c> until then).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>How soon the job is claimed among queued jobs: higher first, FIFO within a priority, and a job waits at most a minute per level of difference behind jobs created after it.</summary>
    [Required]
    public required int Priority { get; init; }

    /// <summary>
    /// How many times the job has started: 0 while it waits for its first run. A retry after a transient failure,
    /// or a new run after its server was lost, is the next attempt.
    /// </summary>
    [Required]
    public required int Attempt { get; init; }

    /// <summary>The most attempts the job may get.</summary>
    [Required]
    public required int MaxAttempts { get; init; }

    /// <summary>Whether cancellation was requested.</summary>
    [Required]
    public required bool CancellationRequested { get; init; }

    /// <summary>Why the job failed or was stopped, as RFC 9457 problem details.</summary>
    public ProblemDetails? Error { get; init; }

    /// <summary>How the webhook and email asked for when the job started were delivered, once tried; <see langword="null"/> until then.</summary>
    public IReadOnlyList<NotificationDelivery>? Deliveries { get; init; }

    /// <summary>The ID of the failed or cancelled job this one retries (POST /{id}/retry); absent for any other job.</summary>
    public Guid? RetryOf { get; init; }

    /// <summary>Where to read the job's state.</summary>
    [Required]
    public required string StatusUrl { get; init; }
}

/// <summary>A job's state, with its result as raw JSON once it has succeeded.</summary>
public sealed class JobState : JobInfo
{
    /// <summary>Creates an empty state, for serialisers.</summary>
    public JobState()
    {
    }

    /// <summary>Creates the state of the job <paramref name="info"/> describes.</summary>
    /// <param name="info">The job's state without its result.</param>
    [SetsRequiredMembers]
    public JobState(JobInfo info)
        : base(info)
    {
    }

    /// <summary>The job's result once it has succeeded; its schema is the kind's result type.</summary>
    [JsonPropertyOrder(1)]
    public JsonElement? Result { get; init; }

    /// <summary>The API's view of a job's state, with its result.</summary>
    internal static JobState Of(JobSnapshot job, string statusUrl) => new(From(job, statusUrl)) { Result = job.Result };
}

/// <summary>A job's state, with its typed result once it has succeeded.</summary>
/// <typeparam name="TResult">The job kind's result type.</typeparam>
public sealed class JobState<TResult> : JobInfo
    where TResult : class
{
    /// <summary>Creates an empty state, for serialisers.</summary>
    public JobState()
    {
    }

    /// <summary>Creates the state of the job <paramref name="info"/> describes.</summary>
    /// <param name="info">The job's state without its result.</param>
    [SetsRequiredMembers]
    public JobState(JobInfo info)
        : base(info)
    {
    }

    /// <summary>The job's result once it has succeeded.</summary>
    [JsonPropertyOrder(1)]
    public TResult? Result { get; init; }
}

/// <summary>One page of jobs, newest first.</summary>
public sealed class JobList
{
    /// <summary>The jobs on this page.</summary>
    [Required]
    public required IReadOnlyList<JobInfo> Items { get; init; }

    /// <summary>Pass as <c>pageToken</c> to read the next page; absent on the last page.</summary>
    public string? NextPageToken { get; init; }
}
