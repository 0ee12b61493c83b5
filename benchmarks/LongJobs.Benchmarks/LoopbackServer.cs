using LongJobs.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LongJobs.Benchmarks;

/// <summary>A real Kestrel server on a free loopback port, quiet, for the HTTP parts of the suite.</summary>
internal static class LoopbackServer
{
    /// <summary>Builds and starts an app; <paramref name="configure"/> adds services, <paramref name="map"/> its endpoints.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A LongJobs app as a user would write it: <c>AddLongJobs</c> with kinds, <c>MapLongJobs</c>.</summary>
    public static Task<(WebApplication App, Uri Address)> StartLongJobsAsync(Action<LongJobsOptions> options, Action<LongJobsBuilder> kinds) =>
        StartAsync(
            builder => kinds(builder.Services.AddLongJobs(options)),
            app => app.MapLongJobs());
}
