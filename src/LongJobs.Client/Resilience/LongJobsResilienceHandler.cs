using System.Collections.ObjectModel;
using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LongJobs.Client.Resilience;

/// <summary>
/// Retries transient failures of every request through the client's <see cref="HttpClient"/>: network errors,
/// attempt timeouts, 408, 429 and 5xx, with exponential backoff and jitter, honouring <c>Retry-After</c>.
/// A POST (which starts a job) without an <c>Idempotency-Key</c> header gets one (a new GUID) before its first
/// attempt, so every retry carries the same key and the server starts at most one job for it; a key the caller
/// set is kept. A network error or timeout that outlasts the retries surfaces as a
/// <see cref="LongJobsRequestException"/> with status code 0; the caller's own cancellation stays an
/// <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class LongJobsResilienceHandler(LongJobsClientOptions options) : DelegatingHandler
{
    /// <summary>The header that lets the server recognise a repeated POST (IETF httpapi Idempotency-Key draft).</summary>
    internal const string IdempotencyKeyHeader = Http.JobHeaders.IdempotencyKey;

    /// <summary>How many attempts a request took, and over how long: set on the request once the retries are over.</summary>
    internal static readonly HttpRequestOptionsKey<RequestAttempts> AttemptsKey = new("LongJobs.Attempts");

    private static readonly ResiliencePropertyKey<bool> MayRepeatKey = new("LongJobs.MayRepeat");

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = CreatePipeline(options);
    private readonly TimeSpan _attemptTimeout = options.AttemptTimeout;
    private readonly TimeProvider _time = options.TimeProvider;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && !request.Headers.Contains(IdempotencyKeyHeader))
        {
            // Added once, before the first attempt: every retry of this request then carries the same key.
            request.Headers.Add(IdempotencyKeyHeader, Guid.NewGuid().ToString("D"));
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(MayRepeatKey, MayRepeat(request));
        var attempts = new AttemptCounter(_time.GetTimestamp());
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (attemptContext, state) =>
                {
                    state.Attempts.Count++;
                    return await state.Handler.SendOnceAsync(state.Request, attemptContext.CancellationToken).ConfigureAwait(false);
                },
                context,
                (Handler: this, Request: request, Attempts: attempts)).ConfigureAwait(false);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw NoResponse($"The request to {request.RequestUri} failed{After(attempts)}: {exception.Message}", exception);
        }
        catch (TimeoutRejectedException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw NoResponse($"The request to {request.RequestUri} timed out after {_attemptTimeout}{(attempts.Count > 1 ? $" in each of {Summary(attempts)}" : string.Empty)}.", exception);
        }
        finally
        {
            request.Options.Set(AttemptsKey, Summary(attempts));
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private RequestAttempts Summary(AttemptCounter attempts) => new(attempts.Count, _time.GetElapsedTime(attempts.StartedAt));

    private string After(AttemptCounter attempts) => attempts.Count > 1 ? $" after {Summary(attempts)}" : string.Empty;

    /// <summary>Counts the attempts of one request.</summary>
    private sealed class AttemptCounter(long startedAt)
    {
        public long StartedAt { get; } = startedAt;

        public int Count { get; set; }
    }

    private static LongJobsRequestException NoResponse(string message, Exception exception) =>
        new(message, statusCode: 0, response: null, ReadOnlyDictionary<string, IEnumerable<string>>.Empty, exception);

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static ResiliencePipeline<HttpResponseMessage> CreatePipeline(LongJobsClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.Properties.GetValue(MayRepeatKey, true))),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <summary>
    /// Whether sending <paramref name="request"/> twice does no more than sending it once: every method but POST and
    /// PATCH, and a POST with an <c>Idempotency-Key</c>, which the server answers with the job the key first started.
    /// </summary>
    private static bool MayRepeat(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post
            ? request.Headers.Contains(IdempotencyKeyHeader)
            : request.Method != HttpMethod.Patch;

    /// <summary>
    /// Whether <paramref name="outcome"/> is worth another attempt. A request that may not be repeated is retried
    /// only when the server surely did not act on it: 429, 503, or no connection at all.
    /// </summary>
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, bool mayRepeat) =>
        outcome switch
        {
            { Exception: HttpRequestException exception } => mayRepeat || exception.HttpRequestError == HttpRequestError.ConnectionError,
            { Exception: TimeoutRejectedException } => mayRepeat,
            { Exception: not null } => false,
            { Result.StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
            { Result.StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout } => mayRepeat,
            _ => false,
        };

    /// <summary>The delay the server asked for, capped at <see cref="LongJobsClientOptions.MaxRetryDelay"/>; <see langword="null"/> for the backoff.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, LongJobsClientOptions options)
    {
        var retryAfter = response?.Headers.RetryAfter;
        var delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - options.TimeProvider.GetUtcNow() : null);
        return delay is { } given ? TimeSpan.FromTicks(Math.Clamp(given.Ticks, 0, options.MaxRetryDelay.Ticks)) : null;
    }
}

/// <summary>How many attempts a request took, first and retries, from its first attempt to its last answer.</summary>
/// <param name="Count">The attempts made.</param>
/// <param name="Elapsed">The time from the first attempt to the last answer, backoff included.</param>
internal readonly record struct RequestAttempts(int Count, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Count} attempts over {Elapsed.TotalSeconds:0.0} s");
}
