using System.Collections.Concurrent;
using System.Net;
using LongJobs.Client.Resilience;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace LongJobs.Client.Tests.Support;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a port of its own, answering every request with a script: the test's
/// delegate gets each request with its 1-based number and writes whatever it likes, including errors and
/// dropped connections.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, StringValues>> _requestHeaders = new();
    private readonly NumberedRequests _numbered = new();

    private ScriptedServer(WebApplication app) => _app = app;

    /// <summary>The server's address, ending in <c>/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How many requests have arrived so far.</summary>
    public int RequestCount => _numbered.Count;

    /// <summary>The requests so far, as <c>METHOD /path?query</c>, in order of arrival.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>
    /// The values of header <paramref name="name"/> as the server received them, one entry per request in order of
    /// arrival; an empty list for a request without it.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string?>> HeaderValues(string name) =>
        [.. _requestHeaders.Select(headers => (IReadOnlyList<string?>)[.. headers.GetValueOrDefault(name, StringValues.Empty)])];

    /// <summary>Starts a server that answers request number <c>n</c> (from 1) with <paramref name="respond"/>.</summary>
    public static async Task<ScriptedServer> StartAsync(Func<HttpContext, int, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ScriptedServer(app);
        app.Run(context => server.HandleAsync(context, respond));
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Completes once request number <paramref name="count"/> (from 1) has arrived.</summary>
    public Task WaitForRequestAsync(int count) => _numbered.WhenArrived(count);

    /// <summary>An <see cref="HttpClient"/> for this server whose requests go through <see cref="LongJobsResilienceHandler"/>.</summary>
    public HttpClient CreateResilientClient(LongJobsClientOptions options) =>
        new(new LongJobsResilienceHandler(options) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Task HandleAsync(HttpContext context, Func<HttpContext, int, Task> respond)
    {
        var number = _numbered.Arrived(() =>
        {
            _requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            _requestHeaders.Enqueue(context.Request.Headers.ToDictionary(StringComparer.OrdinalIgnoreCase));
        });
        return respond(context, number);
    }
}
