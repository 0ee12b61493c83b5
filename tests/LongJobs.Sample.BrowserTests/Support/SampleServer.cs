using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// The sample server (<c>samples/LongJobs.Sample</c>) on Kestrel at a free loopback port, so a browser can reach it;
/// one per test, so each test sees only its own jobs. With a path base, the app answers under it only, as behind a
/// proxy that forwards <c>/ops/...</c>.
/// </summary>
internal sealed class SampleServer : WebApplicationFactory<Program>, IJobServer
{
    private readonly string? _pathBase;
    private readonly string? _nightlyReport;
    private HttpClient? _client;

    // Not UseKestrel(0): that rewrites the server's addresses from the test's thread while the sample's own app.Run()
    // starts Kestrel (it once left two addresses under load). A listen endpoint is read when Kestrel starts.
    private SampleServer(string? pathBase, string? nightlyReport)
    {
        _pathBase = pathBase;
        _nightlyReport = nightlyReport;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>The app's root address, under the path base, such as <c>http://127.0.0.1:41234/ops/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts a server and returns once it listens; with <paramref name="nightlyReport"/>, the sample's nightly report runs on that cron expression.</summary>
    public static SampleServer Start(string? pathBase = null, string? nightlyReport = null)
    {
        var server = new SampleServer(pathBase, nightlyReport);
        server.StartServer();
        var address = server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Address = new Uri(address.TrimEnd('/') + (pathBase ?? string.Empty) + "/");
        server._client = new HttpClient { BaseAddress = server.Address };
        return server;
    }

    /// <inheritdoc />
    public Task<Guid> StartJobAsync(string kind, object request) => JobServers.StartJobAsync(_client!, kind, request);

    /// <summary>Starts a job whose end is posted to <paramref name="callbackUrl"/> (a webhook), and returns its ID.</summary>
    public async Task<Guid> StartJobWithCallbackAsync(string kind, object request, Uri callbackUrl)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/jobs/{kind}", UriKind.Relative)) { Content = JsonContent.Create(request) };
        message.Headers.Add("LongJobs-Callback-Url", callbackUrl.ToString());
        using var response = await _client!.SendAsync(message);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Asks for the cancellation of a job through the REST API, as a client of the app would.</summary>
    public async Task CancelJobAsync(Guid id)
    {
        using var response = await _client!.PostAsync(new Uri($"api/jobs/{id}/cancel", UriKind.Relative), content: null);
        Assert.True(response.IsSuccessStatusCode, $"The cancel of job {id} answered {(int)response.StatusCode}.");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureLogging(logging => logging.ClearProviders());

        // No nightly report among a test's jobs unless asked for: the pages count them.
        builder.UseSetting("Sample:NightlyReport", _nightlyReport ?? string.Empty);
        if (_pathBase is { } pathBase)
        {
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new PathBaseFilter(pathBase)));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Serves the app under a path base, and answers 404 outside it.</summary>
    private sealed class PathBaseFilter(string pathBase) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UsePathBase(pathBase);
            app.Use((context, following) =>
            {
                if (!context.Request.PathBase.HasValue)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return following(context);
            });
            next(app);
        };
    }
}

/// <summary>A server the tests start jobs on through its REST API.</summary>
internal interface IJobServer : IAsyncDisposable
{
    /// <summary>The app's root address, ending in <c>/</c>.</summary>
    Uri Address { get; }

    /// <summary>Starts a job of <paramref name="kind"/> with <paramref name="request"/>, as the server's default caller, and returns its ID.</summary>
    Task<Guid> StartJobAsync(string kind, object request);
}

internal static class JobServers
{
    /// <summary>POSTs a job to <c>api/jobs/{kind}</c> and returns its ID.</summary>
    public static async Task<Guid> StartJobAsync(HttpClient client, string kind, object request)
    {
        using var response = await client.PostAsJsonAsync(new Uri($"api/jobs/{kind}", UriKind.Relative), request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetGuid();
    }
}
