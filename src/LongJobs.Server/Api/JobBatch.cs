using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>One job of a batch start: its request, and what a single start takes in headers.</summary>
/// <typeparam name="TRequest">The job kind's request type.</typeparam>
public sealed class JobBatchItem<TRequest>
    where TRequest : notnull
{
    /// <summary>The job's request, as the kind's single start takes it.</summary>
    [Required]
    public required TRequest Request { get; init; }

    /// <summary>
    /// Makes this item safe to repeat, as the <c>Idempotency-Key</c> header makes a single start: the same key with the
    /// same request answers with the job it started first (earlier in the batch included); with another request, 422.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>An absolute URL to POST the job's final state to when it finishes, as the <c>LongJobs-Callback-Url</c> header asks.</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>An email address to tell when the job finishes, as the <c>LongJobs-Notify-Email</c> header asks.</summary>
    public string? NotifyEmail { get; init; }

    /// <summary>The job's own priority instead of its kind's, as the <c>LongJobs-Priority</c> header gives it: from -1000 to 1000, higher claimed first.</summary>
    public int? Priority { get; init; }
}

/// <summary>The answer to a batch start: one result per item, in the order of the items.</summary>
public sealed class JobBatchResult
{
    /// <summary>Each item's result.</summary>
    [Required]
    public required IReadOnlyList<JobBatchItemResult> Items { get; init; }
}

/// <summary>What became of one item of a batch start: its job, or its problem.</summary>
public sealed class JobBatchItemResult
{
    /// <summary>
    /// The status a single start of the item would have answered: 202 with its job, 200 with the unfinished job that holds
    /// its unique key (<see cref="Deduplicated"/>), or a 4xx with its problem.
    /// </summary>
    [Required]
    public required int Status { get; init; }

    /// <summary>The item's job (new, found by its idempotency key, or holding its unique key), with its status URL; absent with a problem.</summary>
    public JobInfo? Job { get; init; }

    /// <summary>Whether the item started no job because an unfinished job of the kind holds its unique key: <see cref="Job"/> is that job.</summary>
    public bool Deduplicated { get; init; }

    /// <summary>Why the item started no job, as RFC 9457 problem details (with 'errors' for an invalid item); absent with a job.</summary>
    public ProblemDetails? Problem { get; init; }
}
