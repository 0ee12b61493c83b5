using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>What became of one item of a batch start: the job it started (or found by its key), or why it started none.</summary>
/// <typeparam name="TResult">The job kind's result type.</typeparam>
public sealed class JobStartResult<TResult>
{
    internal JobStartResult(int status, JobOperation<TResult>? operation, ProblemDetails? problem)
    {
        Status = status;
        Operation = operation;
        Problem = problem;
    }

    /// <summary>The status a single start of the item would have answered: 202 with a job, 200 with the job that holds its unique key (<see cref="JobOperation{TResult}.WasDeduplicated"/>), or a 4xx with a problem.</summary>
    public int Status { get; }

    /// <summary>Whether the item has its job: <see cref="Operation"/> is set.</summary>
    public bool IsStarted => Operation is not null;

    /// <summary>The item's job, to follow and await; <see langword="null"/> when the item started none.</summary>
    public JobOperation<TResult>? Operation { get; }

    /// <summary>Why the item started no job (400 with <c>errors</c> for an invalid item, 409 for a unique key held by another caller's job, 422 for a key used with another request); <see langword="null"/> with a job.</summary>
    public ProblemDetails? Problem { get; }
}
