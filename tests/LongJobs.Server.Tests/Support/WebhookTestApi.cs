using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Webhooks;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// The jobs API in memory (TestServer, Production environment, fake time, the <c>gated</c> kind) with webhooks on:
/// <c>127.0.0.1</c> allowed over http, a random signing key, a backoff of at most <see cref="MaxDelay"/> and an
/// attempt timeout of <see cref="AttemptTimeout"/>, longer than any backoff, so advancing past a backoff never times
/// out an attempt.
/// Webhooks go out over real HTTP, to a <see cref="WebhookReceiver"/>.
/// </summary>
internal sealed class WebhookTestApi : IAsyncDisposable
{
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    private readonly WebhookLogs _logs;

    private WebhookTestApi(WebApplication app, string signingKey, ObservedFakeTimeProvider time, JobGates gates, WebhookLogs logs)
    {
        App = app;
        SigningKey = signingKey;
        Client = app.GetTestClient();
        Time = time;
        Gates = gates;
        _logs = logs;
    }

    /// <summary>The key webhooks are signed with: Standard Webhooks' form of 32 random bytes.</summary>
    public string SigningKey { get; }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ObservedFakeTimeProvider Time { get; }

    public JobGates Gates { get; }

    public IJobStore Store => App.Services.GetRequiredService<IJobStore>();

    /// <summary>The IDs of the webhook log entries so far (21 to 25), in order.</summary>
    public IReadOnlyList<int> WebhookEventIds => [.. _logs.EventIds];

    public static async Task<WebhookTestApi> StartAsync(Action<WebhookOptions>? configure = null, Action<LongJobsOptions>? configureLongJobs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var logs = new WebhookLogs();
        builder.Logging.AddProvider(logs);

        var time = new ObservedFakeTimeProvider();
        var gates = new JobGates();
        builder.Services.AddSingleton<TimeProvider>(time).AddSingleton(gates);
        var signingKey = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        builder.Services.AddLongJobs(options =>
            {
                // Keep the sweeper's timer apart from the backoff and timeout timers the tests wait for.
                options.RetentionSweepInterval = TimeSpan.FromMinutes(17);
                configureLongJobs?.Invoke(options);
            })
            .AddJob<GatedJob, GatedRequest, GatedResult>("gated")
            .AddWebhooks(options =>
            {
                options.AllowedHosts.Add("127.0.0.1");
                options.AllowHttp = true;
                options.SigningKey = signingKey;
                options.MaxDelay = MaxDelay;
                options.Timeout = AttemptTimeout;
                configure?.Invoke(options);
            });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapLongJobs();
        await app.StartAsync();
        return new WebhookTestApi(app, signingKey, time, gates, logs);
    }

    /// <summary>POSTs a <c>gated</c> job waiting at <paramref name="gateKey"/>, with <paramref name="callbackUrl"/> in <c>LongJobs-Callback-Url</c>.</summary>
    public Task<HttpResponseMessage> PostGatedAsync(string gateKey, string callbackUrl, int value = 1)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/gated", UriKind.Relative))
        {
            Content = JsonContent.Create(new { gateKey, value }),
            Headers = { { "LongJobs-Callback-Url", callbackUrl } },
        };
        return Client.SendAsync(request).WithSafetyTimeout();
    }

    /// <summary>Starts a <c>gated</c> job with a webhook to <paramref name="callbackUrl"/> and returns its ID.</summary>
    public async Task<Guid> StartGatedAsync(string gateKey, Uri callbackUrl, int value = 1)
    {
        using var response = await PostGatedAsync(gateKey, callbackUrl.AbsoluteUri, value);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>Waits until the job's state shows its webhook in <paramref name="status"/>.</summary>
    public async Task<NotificationDelivery> WaitForWebhookAsync(Guid id, NotificationDeliveryStatus status)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        var job = await Store.GetAsync(id) ?? throw new InvalidOperationException($"Job {id} is not in the store.");
        while (true)
        {
            if (job.Deliveries.SingleOrDefault(delivery => delivery.Channel == NotificationChannels.Webhook) is { } webhook && webhook.Status == status)
            {
                return webhook;
            }

            job = await Store.WaitForChangeAsync(id, job.Version, timeout.Token) ?? throw new InvalidOperationException($"Job {id} was removed.");
        }
    }

    /// <summary>
    /// Waits until backoff number <paramref name="retry"/> (from 1) has begun: the failed attempt before it is then
    /// recorded. Advancing fake time by <see cref="MaxDelay"/> ends it, whatever its jitter.
    /// </summary>
    public Task WaitForBackoffAsync(int retry) => Time.WaitForTimerAsync(due => due > TimeSpan.Zero && due <= MaxDelay, retry);

    public async ValueTask DisposeAsync()
    {
        Gates.ReleaseAll();
        Client.Dispose();
        await App.DisposeAsync();
    }

    /// <summary>Collects the event IDs of the webhook channel's log entries.</summary>
    private sealed class WebhookLogs : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<int> EventIds { get; } = new();

        public ILogger CreateLogger(string categoryName) => categoryName == typeof(WebhookChannel).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            EventIds.Enqueue(eventId.Id);

        public void Dispose()
        {
        }
    }
}
