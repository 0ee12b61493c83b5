using System.Net;
using System.Text;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
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

    private TestApi(WebApplication app, HttpClient client, ObservedFakeTimeProvider time, JobGates gates)
    {
        App = app;
        Client = client;
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
    /// endpoints; <paramref name="addJobs"/> adds to LongJobs (more kinds, callbacks); <paramref name="logs"/> receives the logs;
    /// <paramref name="onKestrel"/> serves on a loopback port instead of in memory, for clients that need real sockets;
    /// <paramref name="addServices"/> registers services before <c>AddLongJobs</c> (authentication, replacements);
    /// <paramref name="configureJobsApi"/> adds conventions to the group <c>MapLongJobs()</c> returns.
    /// </summary>
    public static async Task<TestApi> StartAsync(
        Action<LongJobsOptions>? configure = null,
        Action<WebApplication>? configureApp = null,
        Action<LongJobsBuilder>? addJobs = null,
        ILoggerProvider? logs = null,
        bool onKestrel = false,
        Action<IServiceCollection>? addServices = null,
        Action<RouteGroupBuilder>? configureJobsApi = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        if (onKestrel)
        {
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        var time = new ObservedFakeTimeProvider();
        var gates = new JobGates();
        builder.Services.AddSingleton<TimeProvider>(time).AddSingleton(gates);
        addServices?.Invoke(builder.Services);
        var longJobs = builder.Services.AddLongJobs(options =>
            {
                // Keep the sweeper's timer apart from the long-poll timers the tests wait for (5 s to 60 s).
                options.RetentionSweepInterval = TimeSpan.FromMinutes(17);
                configure?.Invoke(options);
            })
            .AddJob<GatedJob, GatedRequest, GatedResult>("gated")
            .AddJob<FailingJob, FailingRequest, GatedResult>("failing");
        addJobs?.Invoke(longJobs);

        var app = builder.Build();
        configureApp?.Invoke(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var jobsApi = app.MapLongJobs();
        configureJobsApi?.Invoke(jobsApi);
        await app.StartAsync();
        var client = onKestrel ? new HttpClient { BaseAddress = new Uri(app.Urls.First()) } : app.GetTestClient();
        return new TestApi(app, client, time, gates);
    }

    public static StringContent Json(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, mediaType);

    /// <summary>
    /// POSTs a job of <paramref name="kind"/>; <paramref name="header"/>, when given, is added without validation, as any
    /// client could send it.
    /// </summary>
    public async Task<HttpResponseMessage> PostAsync(string kind, string json, (string Name, string Value)? header = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/jobs/{kind}", UriKind.Relative)) { Content = Json(json) };
        if (header is var (name, value))
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return await Client.SendAsync(request).WithSafetyTimeout();
    }

    /// <summary>
    /// A client whose requests come from <paramref name="user"/> in <paramref name="roles"/> (see
    /// <see cref="HeaderAuthenticationHandler"/>), or anonymous ones when <paramref name="user"/> is <see langword="null"/>.
    /// </summary>
    public HttpClient ClientFor(string? user, params string[] roles)
    {
        var client = App.GetTestClient();
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
        }

        if (roles.Length > 0)
        {
            client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.RolesHeader, string.Join(',', roles));
        }

        return client;
    }

    public Task<HttpResponseMessage> GetAsync(string url) =>
        Client.GetAsync(new Uri(url, UriKind.Relative)).WithSafetyTimeout();

    /// <summary>Asks the job to stop: <c>POST /api/jobs/{id}/cancel</c>, through <paramref name="client"/> or the test's own.</summary>
    public Task<HttpResponseMessage> CancelAsync(Guid id, HttpClient? client = null) =>
        (client ?? Client).PostAsync(new Uri($"/api/jobs/{id}/cancel", UriKind.Relative), content: null).WithSafetyTimeout();

    /// <summary>Removes the job's record: <c>DELETE /api/jobs/{id}</c>, through <paramref name="client"/> or the test's own.</summary>
    public Task<HttpResponseMessage> DeleteAsync(Guid id, HttpClient? client = null) =>
        (client ?? Client).DeleteAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();

    /// <summary>Starts a <c>gated</c> job waiting at the gate <paramref name="gateKey"/> and returns its ID.</summary>
    public async Task<Guid> StartGatedAsync(string gateKey, int value = 1, (string Name, string Value)? header = null)
    {
        using var response = await PostAsync("gated", $$"""{"gateKey":"{{gateKey}}","value":{{value}}}""", header);
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

    /// <summary>
    /// Waits, following the store's changes, until the job's delivery on <paramref name="channel"/> has
    /// <paramref name="status"/> (and <paramref name="attempts"/>, when given).
    /// </summary>
    public async Task<NotificationDelivery> WaitForDeliveryAsync(Guid id, string channel, NotificationDeliveryStatus status, int? attempts = null)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        var store = App.Services.GetRequiredService<IJobStore>();
        var job = await store.GetAsync(id, timeout.Token) ?? throw new InvalidOperationException($"Job {id} is not in the store.");
        while (true)
        {
            if (job.Deliveries.SingleOrDefault(delivery => delivery.Channel == channel) is { } delivery
                && delivery.Status == status
                && (attempts is null || delivery.Attempts == attempts))
            {
                return delivery;
            }

            job = await store.WaitForChangeAsync(id, job.Version, timeout.Token) ?? throw new InvalidOperationException($"Job {id} was removed.");
        }
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
