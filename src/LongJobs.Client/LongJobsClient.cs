using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using LongJobs.Client.Models;
using Polly;
using Polly.Retry;

namespace LongJobs.Client;

/// <summary>
/// The calls every LongJobs server answers, whatever its job kinds: read a job's state (with long-poll),
/// cancel it, and await it as a <see cref="JobOperation{TResult}"/>. Start jobs with a client generated from the
/// server's OpenAPI document (for the sample server, <c>SampleJobsClient</c>).
/// </summary>
public class LongJobsClient
{
    /// <summary>The name of the <see cref="HttpClient"/> that <c>AddLongJobsClient</c> registers.</summary>
    public const string HttpClientName = "LongJobs";

    private static readonly ResiliencePropertyKey<int> PlainPollsKey = new("LongJobs.PlainPolls");

    private readonly HttpClient _httpClient = null!;
    private readonly LongJobsClientOptions _options = null!;
    private readonly ResiliencePipeline<JobPoll> _waitPipeline = null!;

    /// <summary>Creates a client that sends its requests through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">
    /// The HTTP client: its <see cref="HttpClient.BaseAddress"/> is the server's (ending in <c>/</c>); for retries
    /// it should come from <c>AddLongJobsClient</c> or carry <c>AddLongJobsResilience</c>.
    /// </param>
    /// <param name="options">Paths and waiting behaviour; the defaults when <see langword="null"/>.</param>
    public LongJobsClient(HttpClient httpClient, LongJobsClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _httpClient = httpClient;
        _options = options ?? new LongJobsClientOptions();
        _waitPipeline = CreateWaitPipeline(_options);
    }

    /// <summary>For mocking: override the calls the code under test makes (for a <see cref="JobOperation{TResult}"/>, <see cref="GetJobAsync"/>, <see cref="CancelJobAsync"/> and <see cref="WaitUntilFinishedAsync"/>).</summary>
    protected LongJobsClient()
    {
    }

    /// <summary>Reads a job's current state.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> GetJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await PollAsync(id, TimeSpan.Zero, cancellationToken).ConfigureAwait(false)).State;

    /// <summary>Asks a job to stop.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state after the request.</returns>
    /// <exception cref="LongJobsRequestException">The server answered with an error, such as 404 for an unknown job, or could not be reached (status code 0).</exception>
    public virtual async Task<JobState> CancelJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, JobUri(id, TimeSpan.Zero));
        using var response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<JobState>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Attaches to a job by its ID, wherever it was started, to follow and await it.</summary>
    /// <typeparam name="TResult">The job kind's result type, for example a generated <c>PrimesResult</c>.</typeparam>
    /// <param name="id">The job's ID.</param>
    /// <returns>An operation whose state is unknown until it is updated or awaited.</returns>
    public virtual JobOperation<TResult> GetOperation<TResult>(Guid id) => new(id, this);

    /// <summary>
    /// Reads the job's state until it has finished: long-poll where the server offers it, else polling with
    /// backoff. <see cref="JobOperation{TResult}.WaitForCompletionAsync"/> calls it; a mock overrides it.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="observe">Called with every state read, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting; the job itself goes on.</param>
    /// <returns>The job's final state.</returns>
    /// <exception cref="LongJobsRequestException">A request failed after its retries, such as 404 for an unknown job, or the server could not be reached (status code 0).</exception>
    protected internal virtual async Task<JobState> WaitUntilFinishedAsync(Guid id, Action<JobState> observe, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var poll = await _waitPipeline.ExecuteAsync(
                static async (context, state) =>
                {
                    var poll = await state.Client.PollAsync(state.Id, state.Client._options.LongPollWait, context.CancellationToken).ConfigureAwait(false);
                    context.Properties.Set(PlainPollsKey, poll.LongPolled ? 0 : context.Properties.GetValue(PlainPollsKey, 0) + 1);
                    state.Observe(poll.State);
                    return poll;
                },
                context,
                (Client: this, Id: id, Observe: observe)).ConfigureAwait(false);
            return poll.State;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<JobPoll> PollAsync(Guid id, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, JobUri(id, wait));
        using var response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var state = await ReadAsync<JobState>(response, cancellationToken).ConfigureAwait(false);
        return new JobPoll(state, response.Headers.RetryAfter, LongPolled: wait > TimeSpan.Zero && response.Headers.Contains("Preference-Applied"));
    }

    private Uri JobUri(Guid id, TimeSpan wait)
    {
        var path = _options.JobsPath.EndsWith('/') ? _options.JobsPath : _options.JobsPath + "/";
        var query = wait > TimeSpan.Zero ? FormattableString.Invariant($"?wait={(int)Math.Ceiling(wait.TotalSeconds)}") : string.Empty;
        return new Uri(path + id.ToString("D", CultureInfo.InvariantCulture) + query, UriKind.Relative);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
        where T : class
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;

        if (response.IsSuccessStatusCode)
        {
            T? value;
            try
            {
                value = JsonSerializer.Deserialize<T>(body, JsonSerializerOptions.Web);
            }
            catch (JsonException exception)
            {
                throw new LongJobsRequestException($"The response could not be read as a {typeof(T).Name}.", status, body, HeadersOf(response), exception);
            }

            return value ?? throw new LongJobsRequestException("The response body was empty.", status, body, HeadersOf(response), null);
        }

        ProblemDetails? problem = null;
        try
        {
            problem = body.Length > 0 ? JsonSerializer.Deserialize<ProblemDetails>(body, JsonSerializerOptions.Web) : null;
        }
        catch (JsonException)
        {
            // Not problem details: report the raw body.
        }

        var message = $"The server answered {status} {response.ReasonPhrase}{(problem is null ? "." : $": {problem}")}";
        var headers = HeadersOf(response);
        throw problem is null
            ? new LongJobsRequestException(message, status, body, headers, null)
            : new LongJobsRequestException<ProblemDetails>(message, status, body, headers, problem, null);
    }

    private static Dictionary<string, IEnumerable<string>> HeadersOf(HttpResponseMessage response) =>
        response.Headers.Concat(response.Content.Headers)
            .ToDictionary(header => header.Key, header => header.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>Polls again while the job is unfinished: at once after a long-poll, else after <c>Retry-After</c> or the backoff.</summary>
    /// <remarks>Polly's attempt number counts long-polls too, so the backoff counts only the answers since the last long-poll.</remarks>
    private static ResiliencePipeline<JobPoll> CreateWaitPipeline(LongJobsClientOptions options) =>
        new ResiliencePipelineBuilder<JobPoll> { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions<JobPoll>
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { State.IsFinished: false }),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result is { } poll
                    ? PollingDelay(poll, args.Context.Properties.GetValue(PlainPollsKey, 0), options)
                    : null),
            })
            .Build();

    /// <summary>
    /// The wait before the next status request: none after a long-poll; else the server's <c>Retry-After</c>, or
    /// <see cref="LongJobsClientOptions.PollingInterval"/> doubled for each of the <paramref name="plainPolls"/>
    /// answers since the last long-poll after the first, with ±25 % jitter; never more than
    /// <see cref="LongJobsClientOptions.MaxPollingInterval"/>.
    /// </summary>
    private static TimeSpan PollingDelay(JobPoll poll, int plainPolls, LongJobsClientOptions options)
    {
        if (poll.LongPolled)
        {
            return TimeSpan.Zero;
        }

        var max = options.MaxPollingInterval.Ticks;
        var retryAfter = poll.RetryAfter?.Delta ?? (poll.RetryAfter?.Date is { } date ? date - options.TimeProvider.GetUtcNow() : null);
        if (retryAfter is { } asked)
        {
            return TimeSpan.FromTicks(Math.Clamp(asked.Ticks, 0, max));
        }

        var backoff = options.PollingInterval.Ticks * Math.Pow(2, Math.Clamp(plainPolls - 1, 0, 30));
        var jittered = backoff * (0.75 + (0.5 * Random.Shared.NextDouble()));
        return TimeSpan.FromTicks((long)Math.Min(jittered, max));
    }

    private sealed record JobPoll(JobState State, RetryConditionHeaderValue? RetryAfter, bool LongPolled);
}
