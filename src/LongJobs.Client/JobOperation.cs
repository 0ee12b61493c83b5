using System.Text.Json;
using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>
/// A job on a LongJobs server, followed from this process until it yields its <typeparamref name="TResult"/>.
/// Shaped like <c>Azure.Core.Operation&lt;T&gt;</c>: create it with <see cref="LongJobsClient.GetOperation{TResult}"/>
/// (or this type's public constructor) from a job's ID, then <see cref="WaitForCompletionAsync"/>.
/// </summary>
/// <typeparam name="TResult">The job kind's result type.</typeparam>
public class JobOperation<TResult>
{
    private readonly LongJobsClient _client = null!;
    private JobState? _state;
    private TResult? _value;

    /// <summary>Attaches to the job <paramref name="id"/>, started by this process or by any other.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="client">The client for the server that holds the job.</param>
    public JobOperation(Guid id, LongJobsClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Id = id;
        _client = client;
    }

    /// <summary>For mocking.</summary>
    protected JobOperation()
    {
    }

    /// <summary>The job's ID.</summary>
    public virtual Guid Id { get; }

    /// <summary>The job's state as last read from the server; <see langword="null"/> before the first read.</summary>
    public virtual JobState? State => _state;

    /// <summary>The job's status as last read; <see langword="null"/> before the first read.</summary>
    public virtual JobStatus? Status => _state?.Status;

    /// <summary>Completed fraction of the work, from 0 to 1, as last read.</summary>
    public virtual double Progress => _state?.Progress ?? 0;

    /// <summary>The job's last progress message, as last read.</summary>
    public virtual string? ProgressMessage => _state?.ProgressMessage;

    /// <summary>Whether the job had finished when last read.</summary>
    public virtual bool HasCompleted => _state?.IsFinished == true;

    /// <summary>Whether the job had succeeded when last read, so <see cref="Value"/> holds its result.</summary>
    public virtual bool HasValue => _state?.Status == JobStatus.Succeeded;

    /// <summary>The job's result.</summary>
    /// <exception cref="JobFailedException">The job failed.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The job had not finished when last read.</exception>
    public virtual TResult Value => _state?.Status switch
    {
        JobStatus.Succeeded => _value!,
        JobStatus.Failed => throw new JobFailedException(Id, _state.Error),
        JobStatus.Canceled => throw new OperationCanceledException($"Job '{Id}' was canceled{(_state.Error?.Detail is { } detail ? ": " + detail : ".")}"),
        _ => throw new InvalidOperationException($"Job '{Id}' has not finished; await {nameof(WaitForCompletionAsync)} first."),
    };

    /// <summary>Reads the job's current state from the server.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> UpdateStatusAsync(CancellationToken cancellationToken = default)
    {
        var state = await _client.GetJobAsync(Id, cancellationToken).ConfigureAwait(false);
        Observe(state);
        return state;
    }

    /// <summary>Waits for the job to finish and returns its result.</summary>
    /// <param name="cancellationToken">Stops waiting; the job itself goes on (use <see cref="CancelAsync"/> to stop it).</param>
    /// <returns>The job's result.</returns>
    /// <exception cref="JobFailedException">The job failed.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled, or <paramref name="cancellationToken"/> was.</exception>
    /// <exception cref="LongJobsRequestException">A request failed after its retries, such as 404 for an unknown job, or the server could not be reached (status code 0).</exception>
    public virtual async Task<TResult> WaitForCompletionAsync(CancellationToken cancellationToken = default)
    {
        if (!HasCompleted)
        {
            await _client.WaitUntilFinishedAsync(Id, Observe, cancellationToken).ConfigureAwait(false);
        }

        return Value;
    }

    /// <summary>Asks the job to stop; a running job ends <see cref="JobStatus.Canceled"/> when it honours the request.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state after the request.</returns>
    public virtual async Task<JobState> CancelAsync(CancellationToken cancellationToken = default)
    {
        var state = await _client.CancelJobAsync(Id, cancellationToken).ConfigureAwait(false);
        Observe(state);
        return state;
    }

    private void Observe(JobState state)
    {
        if (state.Status == JobStatus.Succeeded)
        {
            try
            {
                _value = state.Result is { } result ? result.Deserialize<TResult>(JsonSerializerOptions.Web) : default;
            }
            catch (JsonException exception)
            {
                throw new InvalidOperationException($"The result of job '{Id}' (kind '{state.Kind}') is not a {typeof(TResult).Name}.", exception);
            }
        }

        _state = state;
    }
}
