using System.Collections.Concurrent;
using System.Net;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A real HTTP receiver for webhooks: Kestrel on 127.0.0.1 with a port of its own. It records every request (headers
/// and body, read in full) and then answers request number <c>n</c> (from 1) as the test's script says.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _requests = new();
    private readonly NumberedRequests _numbered = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The URL webhooks should go to: <c>http://127.0.0.1:{port}/hooks/jobs?token=t</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The requests so far, in order of arrival.</summary>
    public IReadOnlyList<ReceivedWebhook> Requests => [.. _requests];

    /// <summary>Starts a receiver that answers request <c>n</c> with <c>statusCodes[n - 1]</c>, and later ones with the last status code.</summary>
    public static Task<WebhookReceiver> StartAsync(params HttpStatusCode[] statusCodes) =>
        StartAsync((context, number) =>
        {
            context.Response.StatusCode = (int)statusCodes[Math.Min(number, statusCodes.Length) - 1];
            return Task.CompletedTask;
        });

    /// <summary>Starts a receiver that answers request number <c>n</c> (from 1) with <paramref name="respond"/>.</summary>
    public static async Task<WebhookReceiver> StartAsync(Func<HttpContext, int, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(context => receiver.HandleAsync(context, respond));
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.Single().TrimEnd('/') + "/hooks/jobs?token=t");
        return receiver;
    }

    /// <summary>Completes once request number <paramref name="count"/> (from 1) has arrived.</summary>
    public Task WaitForRequestAsync(int count) => _numbered.WhenArrived(count).WithSafetyTimeout();

    public async ValueTask DisposeAsync()
    {
        // A request still hanging is cut off rather than waited for.
        using var stopNow = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopNow.Token);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context, Func<HttpContext, int, Task> respond)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var request = new ReceivedWebhook(
            context.Request.Method,
            $"{context.Request.Path}{context.Request.QueryString}",
            new HeaderDictionary(context.Request.Headers.ToDictionary(StringComparer.OrdinalIgnoreCase)),
            body.ToArray());

        var number = _numbered.Arrived(() => _requests.Enqueue(request));
        await respond(context, number);
    }
}

/// <summary>A request as the <see cref="WebhookReceiver"/> got it; its headers are the kind a receiver in ASP.NET Core verifies.</summary>
internal sealed record ReceivedWebhook(string Method, string PathAndQuery, IHeaderDictionary Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var values) ? values.ToString() : null;
}
