using LongJobs.Client.Resilience;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace LongJobs.Client.Tests.Support;

/// <summary>
/// The sample server (<c>samples/LongJobs.Sample</c>) in memory, one per test, in the Development environment;
/// <paramref name="configure"/> adds settings or replaces services.
/// </summary>
internal sealed class SampleServerFactory(Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    private static readonly Uri Root = new("http://localhost/");

    /// <summary>
    /// An <see cref="HttpClient"/> on the server whose requests go through <see cref="LongJobsResilienceHandler"/>,
    /// then through <paramref name="log"/>, which so sees every attempt, and then through <paramref name="below"/>.
    /// </summary>
    public HttpClient CreateLongJobsHttpClient(LongJobsClientOptions options, RequestLog? log = null, DelegatingHandler? below = null) =>
        CreateDefaultClient(Root, [new LongJobsResilienceHandler(options), .. new DelegatingHandler?[] { log, below }.OfType<DelegatingHandler>()]);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.ClearProviders());
        configure?.Invoke(builder);
    }
}
