using System.Security.Cryptography;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Webhooks;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A <see cref="TestApi"/> with webhooks on: <c>127.0.0.1</c> allowed over http, a random signing key, five attempts
/// <see cref="RetryDelay"/> apart (jittered: each wait ends by <see cref="MaxDelay"/>), an attempt timeout of
/// <see cref="AttemptTimeout"/>, longer than any wait, so advancing past a wait never times out an attempt, and a poll
/// interval longer than both, so the only timers of the outbox are its waits for the next attempt.
/// Webhooks go out over real HTTP, to a <see cref="WebhookReceiver"/>.
/// </summary>
internal sealed class WebhookTestApi : IAsyncDisposable
{
    private const string CallbackUrlHeader = "LongJobs-Callback-Url";

    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>The longest a wait for the next attempt lasts: <see cref="RetryDelay"/> with the most jitter.</summary>
    public static readonly TimeSpan MaxDelay = RetryDelay * 1.2;

    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    private readonly TestApi _api;
    private readonly RecordedLogs _logs;

    private WebhookTestApi(TestApi api, RecordedLogs logs, string signingKey)
    {
        _api = api;
        _logs = logs;
        SigningKey = signingKey;
    }

    /// <summary>The key webhooks are signed with: Standard Webhooks' form of 32 random bytes.</summary>
    public string SigningKey { get; }

    public WebApplication App => _api.App;

    public HttpClient Client => _api.Client;

    public ObservedFakeTimeProvider Time => _api.Time;

    public JobGates Gates => _api.Gates;

    public IJobStore Store => App.Services.GetRequiredService<IJobStore>();

    /// <summary>Everything the server logged.</summary>
    public RecordedLogs Logs => _logs;

    /// <summary>The IDs of the delivery log entries so far (21 to 25; no other entry uses them), in order.</summary>
    public IReadOnlyList<int> WebhookEventIds => [.. _logs.Entries.Select(entry => entry.EventId).Where(id => id is >= 21 and <= 25)];

    public static async Task<WebhookTestApi> StartAsync(Action<WebhookOptions>? configure = null, Action<LongJobsOptions>? configureLongJobs = null, Action<IServiceCollection>? addServices = null)
    {
        var signingKey = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var logs = new RecordedLogs();
        var api = await TestApi.StartAsync(
            options =>
            {
                options.QueuePollInterval = TimeSpan.FromMinutes(10);
                configureLongJobs?.Invoke(options);
            },
            logs: logs,
            addJobs: jobs => jobs.AddWebhooks(options =>
            {
                options.AllowedHosts.Add("127.0.0.1");
                options.AllowHttp = true;
                options.SigningKey = signingKey;
                options.RetryDelays = Retries(4);
                options.Timeout = AttemptTimeout;
                configure?.Invoke(options);
            }),
            addServices: addServices);
        return new WebhookTestApi(api, logs, signingKey);
    }

    /// <summary>A schedule of <paramref name="count"/> waits of <see cref="RetryDelay"/>: <paramref name="count"/> + 1 attempts.</summary>
    public static List<TimeSpan> Retries(int count) => [.. Enumerable.Repeat(RetryDelay, count)];

    /// <summary>POSTs a <c>gated</c> job waiting at <paramref name="gateKey"/>, with <paramref name="callbackUrl"/> in <c>LongJobs-Callback-Url</c>.</summary>
    public Task<HttpResponseMessage> PostGatedAsync(string gateKey, string callbackUrl, int value = 1) =>
        _api.PostAsync("gated", $$"""{"gateKey":"{{gateKey}}","value":{{value}}}""", (CallbackUrlHeader, callbackUrl));

    /// <summary>Starts a <c>gated</c> job with a webhook to <paramref name="callbackUrl"/> and returns its ID.</summary>
    public Task<Guid> StartGatedAsync(string gateKey, Uri callbackUrl, int value = 1) =>
        _api.StartGatedAsync(gateKey, value, (CallbackUrlHeader, callbackUrl.AbsoluteUri));

    /// <summary>Waits until the job has finished.</summary>
    public Task WaitUntilFinishedAsync(Guid id) => _api.WaitUntilFinishedAsync(id);

    /// <summary>Waits until the job's state shows its webhook in <paramref name="status"/>.</summary>
    public Task<NotificationDelivery> WaitForWebhookAsync(Guid id, NotificationDeliveryStatus status) =>
        WaitForDeliveryAsync(id, NotificationChannels.Webhook, status);

    /// <summary>Waits until the job's state shows its notification through <paramref name="channel"/> in <paramref name="status"/>.</summary>
    public Task<NotificationDelivery> WaitForDeliveryAsync(Guid id, string channel, NotificationDeliveryStatus status) =>
        _api.WaitForDeliveryAsync(id, channel, status);

    /// <summary>
    /// Waits until the wait before attempt <paramref name="retry"/> + 1 has begun: the failed attempt before it is then
    /// recorded. Advancing fake time by <see cref="MaxDelay"/> ends it, whatever its jitter.
    /// </summary>
    public Task WaitForBackoffAsync(int retry) => Time.WaitForTimerAsync(due => due > TimeSpan.Zero && due <= MaxDelay, retry);

    public ValueTask DisposeAsync() => _api.DisposeAsync();
}
