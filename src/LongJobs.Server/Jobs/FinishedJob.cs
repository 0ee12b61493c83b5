using System.Text.Json;

namespace LongJobs.Server.Jobs;

/// <summary>A job that just finished, as a completion callback sees it.</summary>
public sealed class FinishedJob
{
    private readonly JsonSerializerOptions _serializerOptions;

    internal FinishedJob(JobSnapshot state, IServiceProvider services, JsonSerializerOptions serializerOptions)
    {
        State = state;
        Services = services;
        _serializerOptions = serializerOptions;
    }

    /// <summary>The job's final state.</summary>
    public JobSnapshot State { get; }

    /// <summary>The job's ID.</summary>
    public Guid Id => State.Id;

    /// <summary>The job's kind.</summary>
    public string Kind => State.Kind;

    /// <summary>How the job ended: <see cref="JobStatus.Succeeded"/>, <see cref="JobStatus.Failed"/> or <see cref="JobStatus.Canceled"/>.</summary>
    public JobStatus Status => State.Status;

    /// <summary>Services of a scope that lasts while the callbacks of this job run.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Reads the result of a job that succeeded.</summary>
    /// <typeparam name="TResult">The result's type: the kind's result type.</typeparam>
    /// <returns>The result, or <see langword="default"/> when the job did not succeed.</returns>
    public TResult? GetResult<TResult>() =>
        State.Result is { } result ? result.Deserialize<TResult>(_serializerOptions) : default;
}
