using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Delivers webhooks: POSTs a finished job's state, as <c>GET {prefix}/{id}</c> answers it, to the job's callback
/// URL, signed the Standard Webhooks way. Network errors, attempt timeouts, 408, 429 and 5xx are retried with
/// exponential backoff and jitter; any other answer but 2xx, a redirect included, fails at once. Every attempt shows
/// in the job's deliveries and in the log.
/// </summary>
internal sealed class WebhookChannel : INotificationChannel
{
    /// <summary>The name of the <see cref="HttpClient"/> webhooks are sent with.</summary>
    public const string HttpClientName = "LongJobs.Webhooks";

    /// <summary>The header with the webhook's ID: the job's ID, the same in every attempt, so receivers can drop repeats.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header with the attempt's time, in Unix seconds.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header with the signature, <see cref="WebhookSigner.Sign"/>.</summary>
    public const string SignatureHeader = "webhook-signature";

    private static readonly ResiliencePropertyKey<Delivery> DeliveryKey = new("LongJobs.Webhook");

    private readonly WebhookOptions _options;
    private readonly CallbackUrlPolicy _policy;
    private readonly WebhookSigner _signer;
    private readonly ResiliencePipeline<HttpStatusCode> _pipeline;
    private readonly IHttpClientFactory _httpClients;
    private readonly IJobDeliveryLog _store;
    private readonly IJobStateDocuments _documents;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public WebhookChannel(
        IOptions<WebhookOptions> options,
        IHttpClientFactory httpClients,
        IJobDeliveryLog store,
        IJobStateDocuments documents,
        IOptions<HttpJsonOptions> json,
        TimeProvider time,
        ILogger<WebhookChannel> logger)
    {
        _options = options.Value;
        _policy = new CallbackUrlPolicy(_options);
        _signer = new WebhookSigner(_options.SigningKey);
        _httpClients = httpClients;
        _store = store;
        _documents = documents;

        // The options the API answers with, so the body is what GET {prefix}/{id} shows.
        _json = json.Value.SerializerOptions;
        _time = time;
        _logger = logger;
        _pipeline = BuildPipeline();
    }

    public string Name => NotificationChannels.Webhook;

    public bool IsRequested(JobNotifications notifications) => notifications.CallbackUrl is not null;

    public string? Validate(JobNotifications notifications) =>
        notifications.CallbackUrl is { } url ? _policy.Check(url, out _) : null;

    public async Task DeliverAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken)
    {
        if (job.Notifications?.CallbackUrl is not { } url)
        {
            return;
        }

        // Checked again: the allow-list may have changed since the job started, possibly on another server.
        if (_policy.Check(url, out var uri) is { } refusal)
        {
            Log.WebhookRefused(_logger, job.Id, refusal);
            await RecordAsync(job.Id, NotificationDeliveryStatus.Failed, attempts: 0, refusal, cancellationToken).ConfigureAwait(false);
            return;
        }

        var delivery = new Delivery(job.Id, uri!, JsonSerializer.SerializeToUtf8Bytes(_documents.Of(job, statusUrl), _json));
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(DeliveryKey, delivery);
        HttpStatusCode? status = null;
        Exception? failure = null;
        try
        {
            status = await _pipeline.ExecuteAsync(
                static (attemptContext, state) => state.Channel.SendAsync(state.Delivery, attemptContext.CancellationToken),
                context,
                (Channel: this, Delivery: delivery)).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            failure = exception;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (status is >= HttpStatusCode.OK and < HttpStatusCode.Ambiguous)
        {
            Log.WebhookDelivered(_logger, job.Id, delivery.Host, delivery.Attempts);
            await RecordAsync(job.Id, NotificationDeliveryStatus.Delivered, delivery.Attempts, error: null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var error = failure is null ? Describe(status!.Value) : Describe(failure);
        Log.WebhookGivenUp(_logger, failure, job.Id, delivery.Host, delivery.Attempts, error);
        await RecordAsync(job.Id, NotificationDeliveryStatus.Failed, delivery.Attempts, error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One attempt: a POST with a fresh timestamp and signature; the answer's body is not read.</summary>
    private async ValueTask<HttpStatusCode> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        delivery.Attempts++;
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url);
        request.Content = new ByteArrayContent(delivery.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        request.Headers.Add(IdHeader, delivery.Id);
        request.Headers.Add(TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(SignatureHeader, _signer.Sign(delivery.Id, timestamp, delivery.Body));
        using var response = await _httpClients.CreateClient(HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>Retries transient failures (outermost), each attempt under its own timeout; time comes from the injected <see cref="TimeProvider"/>.</summary>
    private ResiliencePipeline<HttpStatusCode> BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder<HttpStatusCode> { TimeProvider = _time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpStatusCode>
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.Delay,
                MaxDelay = _options.MaxDelay,
                ShouldHandle = arguments => ValueTask.FromResult(IsTransient(arguments.Outcome)),
                OnRetry = arguments => OnRetryAsync(
                    arguments.Context.Properties.GetValue(DeliveryKey, null!),
                    arguments.Outcome,
                    arguments.RetryDelay,
                    arguments.Context.CancellationToken),
            });
        }

        return builder.AddTimeout(_options.Timeout).Build();
    }

    /// <summary>Network errors, attempt timeouts, 408, 429 and 5xx: the receiver may take it later.</summary>
    private static bool IsTransient(Outcome<HttpStatusCode> outcome) => outcome switch
    {
        { Exception: HttpRequestException { InnerException: WebhookAddressRefusedException } } => false,
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Exception: not null } => false,
        { Result: var status } => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500,
    };

    /// <summary>Logs the failed attempt and shows it in the job's state, before the backoff.</summary>
    private async ValueTask OnRetryAsync(Delivery delivery, Outcome<HttpStatusCode> outcome, TimeSpan delay, CancellationToken cancellationToken)
    {
        var error = outcome.Exception is { } exception ? Describe(exception) : Describe(outcome.Result);
        Log.WebhookAttemptFailed(_logger, delivery.JobId, delivery.Host, delivery.Attempts, _options.MaxAttempts, error, delay);
        await RecordAsync(delivery.JobId, NotificationDeliveryStatus.Pending, delivery.Attempts, error, cancellationToken).ConfigureAwait(false);
    }

    private string Describe(Exception exception) => exception switch
    {
        TimeoutRejectedException => string.Create(CultureInfo.InvariantCulture, $"The receiver did not answer within {_options.Timeout.TotalSeconds:0.###} s."),
        HttpRequestException { InnerException: WebhookAddressRefusedException refused } => refused.Message,
        HttpRequestException => exception.Message,
        _ => "The webhook could not be sent.",
    };

    private static string Describe(HttpStatusCode status)
    {
        var code = (int)status;
        var answer = string.Create(CultureInfo.InvariantCulture, $"The receiver answered {code} {ReasonPhrases.GetReasonPhrase(code)}").TrimEnd() + ".";
        return code is >= 300 and < 400 ? answer + " Redirects are not followed." : answer;
    }

    /// <summary>Records the delivery's state; a store that fails is logged, never thrown.</summary>
    private async Task RecordAsync(Guid jobId, NotificationDeliveryStatus status, int attempts, string? error, CancellationToken cancellationToken)
    {
        var delivery = new NotificationDelivery
        {
            Channel = Name,
            Status = status,
            Attempts = attempts,
            LastAttemptAt = attempts > 0 ? _time.GetUtcNow() : null,
            LastError = error,
        };
        try
        {
            await _store.RecordDeliveryAsync(jobId, delivery, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            Log.WebhookNotRecorded(_logger, exception, jobId);
        }
    }

    /// <summary>One webhook on its way: what every attempt sends, and how many were made.</summary>
    private sealed class Delivery(Guid jobId, Uri url, byte[] body)
    {
        public Guid JobId { get; } = jobId;

        public string Id { get; } = jobId.ToString("D");

        public Uri Url { get; } = url;

        /// <summary>The receiver's host and port, for the log; the rest of the URL may hold a secret.</summary>
        public string Host { get; } = url.Authority;

        public byte[] Body { get; } = body;

        public int Attempts { get; set; }
    }
}
