using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Delivers webhooks, one attempt at a time: POSTs a finished job's state, as <c>GET {prefix}/{id}</c> answers it, to
/// the job's callback URL, signed the Standard Webhooks way, with the job's ID as the webhook's ID in every attempt.
/// Network errors, attempt timeouts, 408, 429 and 5xx may be tried again; any other answer but 2xx, a redirect
/// included, fails the delivery at once.
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

    private readonly WebhookOptions _options;
    private readonly CallbackUrlPolicy _policy;
    private readonly WebhookSigner _signer;
    private readonly ResiliencePipeline _timeout;
    private readonly IHttpClientFactory _httpClients;
    private readonly IJobStateDocuments _documents;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;

    public WebhookChannel(
        IOptions<WebhookOptions> options,
        IHttpClientFactory httpClients,
        IJobStateDocuments documents,
        IOptions<HttpJsonOptions> json,
        TimeProvider time)
    {
        _options = options.Value;
        _policy = new CallbackUrlPolicy(_options);
        _signer = new WebhookSigner(_options.SigningKey);
        _httpClients = httpClients;
        _documents = documents;

        // The options the API answers with, so the body is what GET {prefix}/{id} shows.
        _json = json.Value.SerializerOptions;
        _time = time;
        _timeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.Timeout).Build();
        RetryDelays = _options.RetryDelays is { } delays ? [.. delays] : DeliverySchedules.StandardWebhooks;
    }

    public string Name => NotificationChannels.Webhook;

    public IReadOnlyList<TimeSpan> RetryDelays { get; }

    public bool IsRequested(JobNotifications notifications) => notifications.CallbackUrl is not null;

    public string? Validate(JobNotifications notifications) =>
        notifications.CallbackUrl is { } url ? _policy.Check(url, out _) : null;

    public async Task<DeliveryAttemptResult> SendAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);

        // Checked again: the allow-list may have changed since the job started, possibly on another server.
        if (job.Notifications?.CallbackUrl is not { } url)
        {
            return DeliveryAttemptResult.Failed("The job has no callback URL.");
        }

        if (_policy.Check(url, out var uri) is { } refusal)
        {
            return DeliveryAttemptResult.Failed(refusal);
        }

        // The job's state as it finished, without the deliveries that attempts change: every attempt sends the same body.
        var body = JsonSerializer.SerializeToUtf8Bytes(_documents.Of(job with { Deliveries = [] }, statusUrl), _json);
        HttpStatusCode status;
        try
        {
            status = await _timeout.ExecuteAsync(
                static (state, token) => state.Channel.PostAsync(state.Id, state.Url, state.Body, token),
                (Channel: this, Id: job.Id.ToString("D"), Url: uri!, Body: body),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is HttpRequestException or TimeoutRejectedException)
        {
            return exception is HttpRequestException { InnerException: WebhookAddressRefusedException }
                ? DeliveryAttemptResult.Failed(Describe(exception))
                : DeliveryAttemptResult.TryAgain(Describe(exception));
        }

        if (status is >= HttpStatusCode.OK and < HttpStatusCode.Ambiguous)
        {
            return DeliveryAttemptResult.Delivered;
        }

        var transient = status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
        return transient ? DeliveryAttemptResult.TryAgain(Describe(status)) : DeliveryAttemptResult.Failed(Describe(status));
    }

    /// <summary>One POST with a fresh timestamp and signature; the answer's body is not read.</summary>
    private async ValueTask<HttpStatusCode> PostAsync(string id, Uri url, byte[] body, CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        request.Headers.Add(IdHeader, id);
        request.Headers.Add(TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(SignatureHeader, _signer.Sign(id, timestamp, body));
        using var response = await _httpClients.CreateClient(HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
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
}
