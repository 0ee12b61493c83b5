using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// The sample server (<c>samples/LongJobs.Sample</c>) on Kestrel at a free loopback port, so a browser can reach it;
/// one per test, so each test sees only its own jobs.
/// </summary>
internal sealed class SampleServer : WebApplicationFactory<Program>
{
    // Not UseKestrel(0): that rewrites the server's addresses from the test's thread while the sample's own app.Run()
    // starts Kestrel (it once left two addresses under load). A listen endpoint is read when Kestrel starts.
    private SampleServer() => UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

    /// <summary>The server's root address, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts a server and returns once it listens.</summary>
    public static SampleServer Start()
    {
        var server = new SampleServer();
        server.StartServer();
        var address = server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Address = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureLogging(logging => logging.ClearProviders());
}
