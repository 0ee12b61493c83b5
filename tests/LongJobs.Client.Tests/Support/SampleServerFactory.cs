using System.Net;
using LongJobs.Client.Resilience;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Client.Tests.Support;

/// <summary>
/// The sample server (<c>samples/LongJobs.Sample</c>) on Kestrel at a free loopback port, so the client talks to it
/// over real HTTP; one per test, in the Development environment, without the sample's nightly schedule.
/// <paramref name="configure"/> adds settings or replaces services.
/// </summary>
internal sealed class SampleServerFactory : WebApplicationFactory<Program>
{
    private readonly Action<IWebHostBuilder>? _configure;
    private Uri? _address;

    public SampleServerFactory(Action<IWebHostBuilder>? configure = null)
    {
        _configure = configure;

        // A listen endpoint, read when Kestrel starts (see the browser tests' SampleServer for why not UseKestrel(0)).
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>The server's root address, such as <c>http://127.0.0.1:41234/</c>; starts the server the first time.</summary>
    public Uri Address => _address ??= Start();

    /// <summary>
    /// An <see cref="HttpClient"/> on the server whose requests go through <see cref="LongJobsResilienceHandler"/>,
    /// then through <paramref name="log"/>, which so sees every attempt, and then through <paramref name="below"/>.
    /// </summary>
    public HttpClient CreateLongJobsHttpClient(LongJobsClientOptions options, RequestLog? log = null, DelegatingHandler? below = null)
    {
        HttpMessageHandler chain = new SocketsHttpHandler();
        foreach (var handler in new DelegatingHandler?[] { below, log, new LongJobsResilienceHandler(options) }.OfType<DelegatingHandler>())
        {
            handler.InnerHandler = chain;
            chain = handler;
        }

        return new HttpClient(chain) { BaseAddress = Address };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.ClearProviders());

        // No nightly report in the middle of a test's jobs (a test that wants the schedule sets it again).
        builder.UseSetting("Sample:NightlyReport", string.Empty);
        _configure?.Invoke(builder);
    }

    private Uri Start()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new Uri(address.TrimEnd('/') + "/");
    }
}
