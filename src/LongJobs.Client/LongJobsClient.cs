using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using LongJobs.Client.Http;
using LongJobs.Client.Models;
using LongJobs.Client.Waiting;

namespace LongJobs.Client;

/// <summary>
/// The calls every LongJobs server answers, whatever its job kinds: read, list, cancel and delete jobs, and await
/// any job as a <see cref="JobOperation{TResult}"/>. The client the build generates for a server (an item
/// <c>&lt;LongJobsClient Include="openapi.json" ClassName="…" /&gt;</c>) derives from it and adds, for each job kind,
/// <c>Start{Kind}JobAsync</c>, <c>Run{Kind}JobAsync</c> and <c>Get{Kind}JobOperation</c>, typed by the kind's
/// request and result.
/// </summary>
public partial class LongJobsClient
{
    /// <summary>The name of the <see cref="HttpClient"/> that <c>AddLongJobsClient</c> registers.</summary>
    public const string HttpClientName = "LongJobs";

    private static readonly IReadOnlyDictionary<string, Type> NoResultTypes = new Dictionary<string, Type>();

    private readonly HttpClient _httpClient = null!;
    private readonly LongJobsClientOptions _options = null!;
    private readonly JobWaiter _waiter = null!;

    /// <summary>Creates a client that sends its requests through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">
    /// The HTTP client: its <see cref="HttpClient.BaseAddress"/> is the server's (ending in <c>/</c>); for retries
    /// it should come from <c>AddLongJobsClient</c> or carry <c>AddLongJobsResilience</c>.
    /// </param>
    /// <param name="options">Paths, serialization and waiting behaviour; the defaults when <see langword="null"/>.</param>
    public LongJobsClient(HttpClient httpClient, LongJobsClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _httpClient = httpClient;
        _options = options ?? new LongJobsClientOptions();
        _waiter = new JobWaiter(httpClient, _options);
    }

    /// <summary>For mocking: a client whose calls the test overrides.</summary>
    protected LongJobsClient()
    {
    }

    /// <summary>
    /// The result type of each job kind this client knows, by kind name: a generated client lists its server's kinds,
    /// so that an operation refuses a job of another kind or a result type of none; empty for a plain client.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, Type> ResultTypes => NoResultTypes;

    /// <summary>Reads a job's current state.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> GetJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.GetAsync(JobPaths.Job(_options, id), cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadStateAsync(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one page of jobs, newest first: the caller's own, or every job for an administrator.</summary>
    /// <param name="status">Only jobs in this status.</param>
    /// <param name="kind">Only jobs of this kind.</param>
    /// <param name="pageSize">At most this many jobs (1 to 100); the server's default (20) when <see langword="null"/>.</param>
    /// <param name="pageToken">The <see cref="JobList.NextPageToken"/> of the previous page, to read the next one.</param>
    /// <param name="owner">Only jobs of this owner: an administrator's filter (another caller may name only themselves).</param>
    /// <param name="createdAfter">Only jobs created at or after this instant.</param>
    /// <param name="createdBefore">Only jobs created before this instant.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page, with the token of the next one.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 400 for a bad page token or 403 for another owner's jobs, or could not be reached.</exception>
    public virtual async Task<JobList> ListJobsAsync(JobStatus? status = null, string? kind = null, int? pageSize = null, string? pageToken = null, string? owner = null, DateTimeOffset? createdAfter = null, DateTimeOffset? createdBefore = null, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder();
        Append(query, "status", status?.ToString());
        Append(query, "kind", kind);
        Append(query, "pageSize", pageSize?.ToString(CultureInfo.InvariantCulture));
        Append(query, "pageToken", pageToken);
        Append(query, "owner", owner);
        Append(query, "createdAfter", createdAfter?.ToString("O", CultureInfo.InvariantCulture));
        Append(query, "createdBefore", createdBefore?.ToString("O", CultureInfo.InvariantCulture));
        var path = JobPaths.List(_options, query.Length == 0 ? string.Empty : "?" + query.ToString(1, query.Length - 1));
        using var response = await _httpClient.GetAsync(path, cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadAsync<JobList>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);

        static void Append(StringBuilder query, string name, string? value)
        {
            if (value is not null)
            {
                query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
    }

    /// <summary>Reads a job's attempts (start, end, server, outcome, error) and the last lines of its log.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's history.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobHistoryInfo> GetJobHistoryAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.GetAsync(JobPaths.History(_options, id), cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadAsync<JobHistoryInfo>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks a job to stop: a queued job is cancelled at once, a running one when it honours the request.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state after the request.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> CancelJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.PostAsync(JobPaths.Cancel(_options, id), content: null, cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadStateAsync(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Retries a job that failed or was cancelled: the server starts a new job of the same kind, request, owner and
    /// priority, whose <see cref="JobInfo.RetryOf"/> is <paramref name="id"/>; the retried job stays as it ended. Asking
    /// again answers with the same retry.
    /// </summary>
    /// <param name="id">The ID of the job to retry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The retry's state.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job or 409 for a job that cannot be retried, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> RetryJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.PostAsync(JobPaths.Retry(_options, id), content: null, cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadStateAsync(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a finished job's record from the server, its result included.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes once the job is removed.</returns>
    /// <exception cref="LongJobsRequestException">404 for an unknown job, 409 while the job is queued or running (cancel it first), or the server could not be reached.</exception>
    public virtual async Task DeleteJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.DeleteAsync(JobPaths.Job(_options, id), cancellationToken).ConfigureAwait(false);
        await JobResponses.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Attaches to a job by its ID, wherever it was started, to follow and await it.</summary>
    /// <typeparam name="TResult">
    /// The job kind's result type. A generated client knows its kinds' result types: it refuses a type that is none
    /// of them at once, and a job whose kind has another result type when it is read.
    /// </typeparam>
    /// <param name="id">The job's ID.</param>
    /// <returns>An operation whose state is unknown until it is updated or awaited.</returns>
    /// <exception cref="ArgumentException">This client knows its kinds, and <typeparamref name="TResult"/> is the result type of none of them.</exception>
    public virtual JobOperation<TResult> GetOperation<TResult>(Guid id)
    {
        if (ResultTypes.Count > 0 && !ResultTypes.Values.Contains(typeof(TResult)))
        {
            throw new ArgumentException(
                $"{typeof(TResult).Name} is not the result type of any job kind of {GetType().Name}; the kinds' result types are: {DescribeResultTypes()}.",
                nameof(TResult));
        }

        return new JobOperation<TResult>(id, this, kind: null, state: null);
    }

    /// <summary>Attaches to a job of kind <paramref name="kind"/>; reading a job of another kind fails.</summary>
    /// <typeparam name="TResult">The kind's result type.</typeparam>
    /// <param name="id">The job's ID.</param>
    /// <param name="kind">The job's kind.</param>
    /// <returns>An operation whose state is unknown until it is updated or awaited.</returns>
    protected JobOperation<TResult> GetOperation<TResult>(Guid id, string kind) => new(id, this, kind, state: null);

    /// <summary>
    /// Starts a job of <paramref name="kind"/>: POSTs <paramref name="request"/> to the kind's route, retried safely
    /// with an idempotency key. The generated <c>Start{Kind}JobAsync</c> methods call it.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type.</typeparam>
    /// <typeparam name="TResult">The kind's result type.</typeparam>
    /// <param name="kind">The kind's name, as the server registered it.</param>
    /// <param name="request">The job's request.</param>
    /// <param name="options">An idempotency key, notifications, and how long the server may hold the request; none when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job, holding the state the server answered with.</returns>
    /// <exception cref="LongJobsRequestException">The server refused the job or could not be reached.</exception>
    protected virtual async Task<JobOperation<TResult>> StartJobAsync<TRequest, TResult>(string kind, TRequest request, JobStartOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(request);

        using var message = new HttpRequestMessage(HttpMethod.Post, JobPaths.Relative(_options, Uri.EscapeDataString(kind)))
        {
            Content = JsonContent.Create(request, options: _options.SerializerOptions),
        };
        if (options?.IdempotencyKey is { } key)
        {
            message.Headers.Add(JobHeaders.IdempotencyKey, key);
        }

        if (options?.CallbackUrl is { } callbackUrl)
        {
            message.Headers.Add(JobHeaders.CallbackUrl, callbackUrl.AbsoluteUri);
        }

        if (options?.NotifyEmail is { } email)
        {
            message.Headers.Add(JobHeaders.NotifyEmail, email);
        }

        AddStartTime(message, options);
        if (options?.Priority is { } priority)
        {
            message.Headers.Add(JobHeaders.Priority, priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (options?.Wait is { } wait && wait > TimeSpan.Zero)
        {
            message.Headers.Add(JobHeaders.Prefer, FormattableString.Invariant($"wait={(int)Math.Ceiling(wait.TotalSeconds)}"));
        }

        using var response = await _httpClient.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var state = await JobResponses.ReadStateAsync(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
        return new JobOperation<TResult>(state.Id, this, kind, state)
        {
            WasDeduplicated = response.Headers.TryGetValues(JobHeaders.Deduplicated, out var deduplicated) && deduplicated.Contains("true", StringComparer.OrdinalIgnoreCase),
        };
    }

    /// <summary>
    /// Starts many jobs of <paramref name="kind"/> in one request (<c>POST {kind}/batch</c>, at most 1000 items). Each item
    /// without an idempotency key gets a new one, so that a retried batch starts no job twice. The generated
    /// <c>Start{Kind}JobsAsync</c> methods call it.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type.</typeparam>
    /// <typeparam name="TResult">The kind's result type.</typeparam>
    /// <param name="kind">The kind's name, as the server registered it.</param>
    /// <param name="items">The jobs' requests, each with its idempotency key and notifications.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Each item's job, or its problem, in the order of <paramref name="items"/>.</returns>
    /// <exception cref="LongJobsRequestException">The server refused the whole batch (413 for too many items, 429 when its queue has no room for all of them) or could not be reached.</exception>
    protected virtual async Task<IReadOnlyList<JobStartResult<TResult>>> StartJobsAsync<TRequest, TResult>(string kind, IEnumerable<JobBatchItem<TRequest>> items, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(items);

        var batch = new List<JobBatchItem<TRequest>>();
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            batch.Add(item.IdempotencyKey is not null
                ? item
                : new JobBatchItem<TRequest> { Request = item.Request, IdempotencyKey = Guid.NewGuid().ToString("D"), CallbackUrl = item.CallbackUrl, NotifyEmail = item.NotifyEmail, Priority = item.Priority });
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, JobPaths.Relative(_options, Uri.EscapeDataString(kind) + "/batch"))
        {
            Content = JsonContent.Create(batch, options: _options.SerializerOptions),
        };
        using var response = await _httpClient.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var result = await JobResponses.ReadAsync<JobBatchResult>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
        return [.. result.Items.Select(item => new JobStartResult<TResult>(
            item.Status,
            item.Job is { } job ? new JobOperation<TResult>(job.Id, this, kind, job) { WasDeduplicated = item.Deduplicated } : null,
            item.Problem))];
    }

    /// <summary>
    /// Starts a job of <paramref name="kind"/> and waits for its result. Without <paramref name="progress"/>, the server
    /// may hold the start request for <see cref="LongJobsClientOptions.StartWait"/> (or <see cref="JobStartOptions.Wait"/>),
    /// so that a quick job costs one request; with it, the start returns at once and every change is reported. The
    /// generated <c>Run{Kind}JobAsync</c> methods call it.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type.</typeparam>
    /// <typeparam name="TResult">The kind's result type.</typeparam>
    /// <param name="kind">The kind's name, as the server registered it.</param>
    /// <param name="request">The job's request.</param>
    /// <param name="options">An idempotency key, notifications, and how long the server may hold the start request.</param>
    /// <param name="progress">Told of every change of the job's status or progress, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting; the job itself goes on.</param>
    /// <returns>The job's result.</returns>
    /// <exception cref="JobFailedException">The job failed.</exception>
    /// <exception cref="OperationCanceledException">The job was cancelled, or <paramref name="cancellationToken"/> was.</exception>
    /// <exception cref="LongJobsRequestException">A request failed after its retries, or the job was lost.</exception>
    protected virtual async Task<TResult> RunJobAsync<TRequest, TResult>(string kind, TRequest request, JobStartOptions? options, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var start = new JobStartOptions
        {
            IdempotencyKey = options?.IdempotencyKey,
            CallbackUrl = options?.CallbackUrl,
            NotifyEmail = options?.NotifyEmail,
            NotBefore = options?.NotBefore,
            Delay = options?.Delay,
            Priority = options?.Priority,
            // Progress is told of every change, so the start must not hide the first ones; without it a quick job costs one request.
            Wait = options?.Wait ?? (progress is null ? _options.StartWait : null),
        };
        var operation = await StartJobAsync<TRequest, TResult>(kind, request, start, cancellationToken).ConfigureAwait(false);
        return await operation.WaitForCompletionAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the job's state until it has finished: long-poll where the server offers it (for the job's end, or for
    /// each change when <paramref name="followChanges"/>), else polling with backoff. The operations call it; a mock
    /// overrides it.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="lastSeen">The job's state as last read, if any: waiting starts from its version, and a 404 after it means the job was lost.</param>
    /// <param name="followChanges">Whether to wake for every change of the job (progress) rather than only for its end.</param>
    /// <param name="observe">Called with every new state read, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting; the job itself goes on.</param>
    /// <returns>The job's final state.</returns>
    /// <exception cref="LongJobsRequestException">A request failed after its retries, such as 404 for an unknown or lost job, or the server could not be reached (status code 0).</exception>
    protected internal virtual Task<JobState> WaitUntilFinishedAsync(Guid id, JobState? lastSeen, bool followChanges, Action<JobState> observe, CancellationToken cancellationToken) =>
        _waiter.WaitAsync(id, lastSeen, followChanges, observe, cancellationToken);

    /// <summary>The JSON options results are read with.</summary>
    internal System.Text.Json.JsonSerializerOptions SerializerOptions => _options?.SerializerOptions ?? System.Text.Json.JsonSerializerOptions.Web;

    /// <summary>The result type this client knows for <paramref name="kind"/>, if any.</summary>
    internal Type? ResultTypeOf(string kind) => ResultTypes.GetValueOrDefault(kind);

    /// <summary>Adds the header that starts a job for later, if <paramref name="options"/> ask for one.</summary>
    /// <exception cref="ArgumentException">Both a time and a delay are given, or the delay is negative.</exception>
    private static void AddStartTime(HttpRequestMessage message, JobStartOptions? options)
    {
        if (options is { NotBefore: not null, Delay: not null })
        {
            throw new ArgumentException($"Give {nameof(JobStartOptions.NotBefore)} or {nameof(JobStartOptions.Delay)}, not both.", nameof(options));
        }

        if (options?.NotBefore is { } notBefore)
        {
            message.Headers.Add(JobHeaders.NotBefore, notBefore.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture));
        }
        else if (options?.Delay is { } delay)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero, nameof(options));
            message.Headers.Add(JobHeaders.Delay, ((long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }
    }

    private string DescribeResultTypes() =>
        string.Join(", ", ResultTypes.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Value.Name} ('{pair.Key}')"));
}
