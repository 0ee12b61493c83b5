using System.Text.Json;
using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>
/// A job on a LongJobs server, followed from this process until it yields its <typeparamref name="TResult"/>.
/// Shaped like <c>Azure.Core.Operation&lt;T&gt;</c>: a generated client's <c>Start{Kind}JobAsync</c> returns one,
/// <c>Get{Kind}JobOperation</c> (or <see cref="LongJobsClient.GetOperation{TResult}(Guid)"/>, or this type's public
/// constructor) attaches to one by ID; then <see cref="WaitForCompletionAsync(CancellationToken)"/>.
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
        : this(id, client, kind: null, state: null)
    {
    }

    /// <summary>Attaches to the job <paramref name="id"/> of <paramref name="kind"/>, knowing <paramref name="state"/> when it was just read.</summary>
    internal JobOperation(Guid id, LongJobsClient client, string? kind, JobState? state)
    {
        ArgumentNullException.ThrowIfNull(client);
        Id = id;
        Kind = kind;
        _client = client;
        if (state is not null)
        {
            Observe(state);
        }
    }

    /// <summary>For mocking.</summary>
    protected JobOperation()
    {
    }

    /// <summary>The job's ID.</summary>
    public virtual Guid Id { get; }

    /// <summary>The job's kind, when the operation was made for one; a job of another kind is refused when read.</summary>
    public virtual string? Kind { get; }

    /// <summary>
    /// Whether the start that returned this operation started no job, because its kind's jobs are unique and an
    /// unfinished job held the request's unique key: this operation follows that job.
    /// </summary>
    public virtual bool WasDeduplicated { get; internal init; }

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
    /// <exception cref="InvalidOperationException">The job is of another kind than the operation's, or its result is not a <typeparamref name="TResult"/>.</exception>
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
    /// <exception cref="LongJobsRequestException">A request failed after its retries, such as 404 for an unknown or lost job, or the server could not be reached (status code 0).</exception>
    /// <exception cref="InvalidOperationException">The job is of another kind than the operation's, or its result is not a <typeparamref name="TResult"/>.</exception>
    public virtual Task<TResult> WaitForCompletionAsync(CancellationToken cancellationToken = default) =>
        WaitForCompletionAsync(progress: null, cancellationToken);

    /// <summary>Waits for the job to finish and returns its result, telling <paramref name="progress"/> of every change on the way.</summary>
    /// <param name="progress">
    /// Told of the job's status, progress and message whenever they change, the final state included. When given,
    /// every status request waits for the job's next change rather than for its end, so changes arrive as they happen.
    /// </param>
    /// <param name="cancellationToken">Stops waiting; the job itself goes on (use <see cref="CancelAsync"/> to stop it).</param>
    /// <returns>The job's result.</returns>
    /// <exception cref="JobFailedException">The job failed.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled, or <paramref name="cancellationToken"/> was.</exception>
    /// <exception cref="LongJobsRequestException">A request failed after its retries, such as 404 for an unknown or lost job, or the server could not be reached (status code 0).</exception>
    /// <exception cref="InvalidOperationException">The job is of another kind than the operation's, or its result is not a <typeparamref name="TResult"/>.</exception>
    public virtual async Task<TResult> WaitForCompletionAsync(IProgress<JobProgress>? progress, CancellationToken cancellationToken = default)
    {
        var reported = _state is null ? null : JobProgress.Of(_state);
        if (reported is not null)
        {
            progress?.Report(reported);
        }

        if (!HasCompleted)
        {
            await _client.WaitUntilFinishedAsync(
                Id,
                _state,
                followChanges: progress is not null,
                state =>
                {
                    Observe(state);
                    if (progress is not null && JobProgress.Of(state) is var next && next != reported)
                    {
                        reported = next;
                        progress.Report(next);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }

        return Value;
    }

    /// <summary>Asks the job to stop; a running job ends <see cref="JobStatus.Canceled"/> when it honours the request.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state after the request.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> CancelAsync(CancellationToken cancellationToken = default)
    {
        var state = await _client.CancelJobAsync(Id, cancellationToken).ConfigureAwait(false);
        Observe(state);
        return state;
    }

    private void Observe(JobState state)
    {
        if (Kind is not null && !string.Equals(state.Kind, Kind, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Job '{Id}' is a '{state.Kind}' job, not a '{Kind}' job: attach to it as one of its own kind.");
        }

        if (_client.ResultTypeOf(state.Kind) is { } resultType && resultType != typeof(TResult))
        {
            throw new InvalidOperationException($"Job '{Id}' is a '{state.Kind}' job, whose result is a {resultType.Name}, not a {typeof(TResult).Name}.");
        }

        if (state.Status == JobStatus.Succeeded)
        {
            _value = ReadResult(state);
        }

        _state = state;
    }

    private TResult? ReadResult(JobState state)
    {
        if (state.Result is not { } result)
        {
            return default;
        }

        try
        {
            if (result.ValueKind == JsonValueKind.Object && !SharesAMember(result))
            {
                throw new JsonException($"The result has none of {typeof(TResult).Name}'s properties.");
            }

            return result.Deserialize<TResult>(_client.SerializerOptions);
        }
        catch (JsonException exception)
        {
            throw new InvalidOperationException($"The result of job '{Id}' (kind '{state.Kind}') is not a {typeof(TResult).Name}: {exception.Message}", exception);
        }
    }

    /// <summary>Whether the result object has at least one of <typeparamref name="TResult"/>'s JSON properties, or no properties at all.</summary>
    private bool SharesAMember(JsonElement result)
    {
        var members = _client.SerializerOptions.GetTypeInfo(typeof(TResult)).Properties;
        if (members.Count == 0 || !result.EnumerateObject().Any())
        {
            return true;
        }

        var comparer = _client.SerializerOptions.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var names = members.Select(member => member.Name).ToHashSet(comparer);
        return result.EnumerateObject().Any(property => names.Contains(property.Name));
    }
}
