using System.Net;
using System.Text;
using System.Text.Json;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A real ASP.NET Core app in memory (TestServer) in the Production environment, mapped like the sample:
/// exception handler, status code pages, <c>MapLongJobs()</c>; with fake time and the test kinds
/// <c>gated</c> and <c>failing</c>. Requests go through the whole HTTP pipeline.
/// </summary>
internal sealed class TestApi : IAsyncDisposable
{
    public const string ProblemJson = "application/problem+json";

    private TestApi(WebApplication app, ObservedFakeTimeProvider time, JobGates gates)
    {
        App = app;
        Client = app.GetTestClient();
        Time = time;
        Gates = gates;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ObservedFakeTimeProvider Time { get; }

    public JobGates Gates { get; }

    public InMemoryJobStore Store => (InMemoryJobStore)App.Services.GetRequiredService<IJobStore>();

    /// <summary>
    /// Starts the app; <paramref name="configureApp"/> runs first on the built app, to add middleware or the app's own
    /// endpoints, and <paramref name="configureLongJobs"/> on the builder after the test kinds, to add more.
    /// </summary>
    public static async Task<TestApi> StartAsync(Action<LongJobsOptions>? configure = null, Action<WebApplication>? configureApp = null, Action<LongJobsBuilder>? configureLongJobs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();

        var time = new ObservedFakeTimeProvider();
        var gates = new JobGates();
        builder.Services.AddSingleton<TimeProvider>(time).AddSingleton(gates);
        var longJobs = builder.Services.AddLongJobs(options =>
            {
                // Keep the sweeper's timer apart from the long-poll timers the tests wait for (5 s to 60 s).
                options.RetentionSweepInterval = TimeSpan.FromMinutes(17);
                configure?.Invoke(options);
            })
            .AddJob<GatedJob, GatedRequest, GatedResult>("gated")
            .AddJob<FailingJob, FailingRequest, GatedResult>("failing");
        configureLongJobs?.Invoke(longJobs);

        var app = builder.Build();
        configureApp?.Invoke(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapLongJobs();
        await app.StartAsync();
        return new TestApi(app, time, gates);
    }

    public static StringContent Json(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, mediaType);

    public Task<HttpResponseMessage> PostAsync(string kind, string json) =>
        Client.PostAsync(new Uri($"/api/jobs/{kind}", UriKind.Relative), Json(json)).WithSafetyTimeout();

    public Task<HttpResponseMessage> GetAsync(string url) =>
        Client.GetAsync(new Uri(url, UriKind.Relative)).WithSafetyTimeout();

    /// <summary>Starts a <c>gated</c> job waiting at the gate <paramref name="gateKey"/> and returns its ID.</summary>
    public async Task<Guid> StartGatedAsync(string gateKey, int value = 1)
    {
        using var response = await PostAsync("gated", $$"""{"gateKey":"{{gateKey}}","value":{{value}}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>Long-polls the job until it has finished; fake time never ends the wait on its own.</summary>
    public async Task<JsonElement> WaitUntilFinishedAsync(Guid id)
    {
        using var response = await GetAsync($"/api/jobs/{id}?wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Reads the body as problem details, checking the media type says so.</summary>
    public static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadJsonAsync(response);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter?.Delta;

    public async ValueTask DisposeAsync()
    {
        Gates.ReleaseAll();
        Client.Dispose();
        await App.DisposeAsync();
    }
}
