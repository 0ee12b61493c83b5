using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Client.Tests.DependencyInjection;

/// <summary><c>AddLongJobsClient</c> and <c>AddLongJobsResilience</c>, resolved from a real container against a scripted server.</summary>
public sealed class LongJobsClientServiceCollectionExtensionsTests
{
    private readonly Guid _id = Guid.NewGuid();

    public static TheoryData<string, Action<LongJobsClientOptions>> InvalidOptions => new()
    {
        { nameof(LongJobsClientOptions.MaxRetryAttempts), options => options.MaxRetryAttempts = -1 },
        { nameof(LongJobsClientOptions.RetryDelay), options => options.RetryDelay = TimeSpan.FromSeconds(-1) },
        { nameof(LongJobsClientOptions.MaxRetryDelay), options => options.MaxRetryDelay = TimeSpan.FromHours(2) },
        { nameof(LongJobsClientOptions.AttemptTimeout), options => options.AttemptTimeout = TimeSpan.Zero },
        { nameof(LongJobsClientOptions.LongPollWait), options => options.LongPollWait = TimeSpan.FromMinutes(2) },
        { nameof(LongJobsClientOptions.PollingInterval), options => options.PollingInterval = TimeSpan.FromSeconds(-1) },
        { nameof(LongJobsClientOptions.JobsPath), options => options.JobsPath = null! },
    };

    public static TheoryData<string, string, Action<LongJobsClientOptions>> InconsistentOptions => new()
    {
        {
            nameof(LongJobsClientOptions.PollingInterval), nameof(LongJobsClientOptions.MaxPollingInterval),
            options => (options.PollingInterval, options.MaxPollingInterval) = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10))
        },
        {
            nameof(LongJobsClientOptions.RetryDelay), nameof(LongJobsClientOptions.MaxRetryDelay),
            options => (options.RetryDelay, options.MaxRetryDelay) = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1))
        },
        {
            nameof(LongJobsClientOptions.LongPollWait), nameof(LongJobsClientOptions.PollingInterval),
            options => (options.LongPollWait, options.PollingInterval) = (TimeSpan.Zero, TimeSpan.Zero)
        },
    };

    [Fact]
    public async Task AddLongJobsClient_ResolvesTheClientOnTheConfiguredAddress()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => context.Request.Path == "/api/jobs"
            ? context.Response.WriteAsJsonAsync(new { items = Array.Empty<object>() })
            : JobStateJson.WriteAsync(context, _id, "Running"));
        await using var provider = BuildProvider(options => options.BaseAddress = server.BaseAddress);

        var client = provider.GetRequiredService<LongJobsClient>();
        var state = await client.GetJobAsync(_id).WaitAsync(TestTimeouts.Signal);
        var list = await client.ListJobsAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(_id, state.Id);
        Assert.Empty(list.Items);
        Assert.Equal([$"GET /api/jobs/{_id}", "GET /api/jobs"], server.Requests);
    }

    [Fact]
    public async Task AddLongJobsClientOfAGeneratedClient_ResolvesItWithItsOwnOptions_BesideAnotherServersClient()
    {
        await using var thumbnails = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Running"));
        await using var reports = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Queued"));
        var services = new ServiceCollection();
        services.AddLongJobsClient<SampleJobsClient>(options => (options.BaseAddress, options.JobsPath) = (thumbnails.BaseAddress, "api/jobs/"));
        services.AddLongJobsClient(options => (options.BaseAddress, options.JobsPath) = (reports.BaseAddress, "v2/jobs/"));
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var sample = provider.GetRequiredService<SampleJobsClient>();
        var plain = provider.GetRequiredService<LongJobsClient>();
        await sample.GetJobAsync(_id).WaitAsync(TestTimeouts.Signal);
        await plain.GetJobAsync(_id).WaitAsync(TestTimeouts.Signal);

        Assert.IsType<SampleJobsClient>(sample);
        Assert.IsNotType<SampleJobsClient>(plain);
        Assert.Equal([$"GET /api/jobs/{_id}"], thumbnails.Requests);
        Assert.Equal([$"GET /v2/jobs/{_id}"], reports.Requests);
    }

    [Fact]
    public async Task AddLongJobsClient_WithBaseAddressWithoutTrailingSlash_KeepsItsPath()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Running"));
        await using var provider = BuildProvider(options => options.BaseAddress = new Uri(server.BaseAddress, "tenant-a"));

        await provider.GetRequiredService<LongJobsClient>().GetJobAsync(_id).WaitAsync(TestTimeouts.Signal);

        Assert.Equal([$"GET /tenant-a/api/jobs/{_id}"], server.Requests);
    }

    [Fact]
    public async Task AddLongJobsClient_SendsThroughTheRetryPipeline()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) => number == 1
            ? JobStateJson.WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable)
            : JobStateJson.WriteAsync(context, _id, "Running"));
        await using var provider = BuildProvider(options =>
        {
            options.BaseAddress = server.BaseAddress;
            options.RetryDelay = TimeSpan.Zero;
        });

        var state = await provider.GetRequiredService<LongJobsClient>().GetJobAsync(_id).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(_id, state.Id);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task AddLongJobsClient_WhenTheAppRegisteredItsOwnClient_KeepsIt()
    {
        var services = new ServiceCollection();
        var own = new LongJobsClient(new HttpClient());
        services.AddSingleton(own);
        services.AddLongJobsClient(options => options.BaseAddress = new Uri("http://127.0.0.1:1/"));
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        Assert.Same(own, provider.GetRequiredService<LongJobsClient>());
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task AddLongJobsClient_WithInvalidOptions_ThrowsOptionsValidationExceptionWhenResolving(string member, Action<LongJobsClientOptions> spoil)
    {
        await using var provider = BuildProvider(options =>
        {
            options.BaseAddress = new Uri("http://127.0.0.1:1/");
            spoil(options);
        });

        var forClient = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LongJobsClient>());
        var forGenerated = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<SampleJobsClient>());
        Assert.Equal(typeof(SampleJobsClient).FullName, forGenerated.OptionsName);

        Assert.Contains(member, forClient.Message, StringComparison.Ordinal);
        Assert.Contains(member, forGenerated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLongJobsClient_WithSeveralInvalidOptions_ReportsThemAllAtOnce()
    {
        await using var provider = BuildProvider(options =>
        {
            options.MaxRetryAttempts = 1000;
            options.LongPollWait = TimeSpan.FromMinutes(5);
        });

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LongJobsClient>());

        Assert.Contains(exception.Failures, failure => failure.Contains(nameof(LongJobsClientOptions.MaxRetryAttempts), StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains(nameof(LongJobsClientOptions.LongPollWait), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddLongJobsClient_WithAttemptTimeoutNotAboveLongPollWait_ThrowsOptionsValidationException()
    {
        // Every long-poll would time out on the client and be retried until the retries ran out.
        await using var provider = BuildProvider(options =>
        {
            options.AttemptTimeout = TimeSpan.FromSeconds(10);
            options.LongPollWait = TimeSpan.FromSeconds(30);
        });

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LongJobsClient>());

        Assert.Contains(nameof(LongJobsClientOptions.AttemptTimeout), exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LongJobsClientOptions.LongPollWait), exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InconsistentOptions))]
    public async Task AddLongJobsClient_WithInconsistentOptions_ThrowsOptionsValidationExceptionNamingBoth(string first, string second, Action<LongJobsClientOptions> spoil)
    {
        await using var provider = BuildProvider(spoil);

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LongJobsClient>());

        var failure = Assert.Single(exception.Failures);
        Assert.Contains(first, failure, StringComparison.Ordinal);
        Assert.Contains(second, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(30, 0)]
    public async Task AddLongJobsClient_WithPollingOrLongPollingOff_ButNotBoth_IsValid(int longPollWaitSeconds, int pollingIntervalSeconds)
    {
        await using var provider = BuildProvider(options =>
        {
            options.LongPollWait = TimeSpan.FromSeconds(longPollWaitSeconds);
            options.PollingInterval = TimeSpan.FromSeconds(pollingIntervalSeconds);
            options.MaxPollingInterval = options.PollingInterval;
        });

        Assert.NotNull(provider.GetRequiredService<LongJobsClient>());
    }

    [Fact]
    public async Task AddLongJobsClient_WithEveryCrossFieldRuleBroken_ReportsThemAllAtOnce()
    {
        await using var provider = BuildProvider(options =>
        {
            options.MaxRetryAttempts = -1;
            options.RetryDelay = TimeSpan.FromSeconds(5);
            options.MaxRetryDelay = TimeSpan.FromSeconds(1);
            options.LongPollWait = TimeSpan.Zero;
            options.PollingInterval = TimeSpan.Zero;
            options.MaxPollingInterval = TimeSpan.Zero;
            options.AttemptTimeout = TimeSpan.Zero;
        });

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<LongJobsClient>());

        Assert.Contains(exception.Failures, failure => failure.Contains(nameof(LongJobsClientOptions.MaxRetryAttempts), StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains(nameof(LongJobsClientOptions.MaxRetryDelay), StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains("busy", StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains(nameof(LongJobsClientOptions.AttemptTimeout), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddLongJobsClient_WithInvalidOptions_FailsWhenTheHostStarts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLongJobsClient(options => options.MaxRetryAttempts = -1);
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Contains(nameof(LongJobsClientOptions.MaxRetryAttempts), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLongJobsResilience_WithInvalidOptions_FailsWhenTheHostStarts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHttpClient("own").AddLongJobsResilience(options => options.RetryDelay = TimeSpan.FromHours(1));
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Contains(nameof(LongJobsClientOptions.RetryDelay), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLongJobsResilience_OnTheAppsOwnHttpClient_RetriesTransientFailures()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            context.Response.StatusCode = number == 1 ? StatusCodes.Status502BadGateway : StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        var services = new ServiceCollection();
        services.AddHttpClient("own", client => client.BaseAddress = server.BaseAddress).AddLongJobsResilience(options => options.RetryDelay = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("own");

        using var response = await client.GetAsync(new Uri("anything", UriKind.Relative)).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(StatusCodes.Status204NoContent, (int)response.StatusCode);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task AddLongJobsResilience_OnTheAppsOwnHttpClient_LeavesTheTimeoutToEachAttempt()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("own", client => client.Timeout = TimeSpan.FromSeconds(10)).AddLongJobsResilience();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("own");

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }

    [Fact]
    public async Task AddLongJobsClient_LeavesTheTimeoutToEachAttempt()
    {
        await using var provider = BuildProvider(options => options.BaseAddress = new Uri("http://127.0.0.1:1/"));

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(LongJobsClient.HttpClientName);

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
        Assert.Equal(new Uri("http://127.0.0.1:1/"), client.BaseAddress);
    }

    [Fact]
    public async Task AddLongJobsResilience_WithInvalidOptions_ThrowsOptionsValidationExceptionWhenCreatingTheClient()
    {
        var services = new ServiceCollection();
        services.ConfigureAll<LongJobsClientOptions>(options => options.MaxRetryAttempts = -1);
        services.AddHttpClient("own").AddLongJobsResilience();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        Assert.Throws<OptionsValidationException>(() => factory.CreateClient("own"));
    }

    private static ServiceProvider BuildProvider(Action<LongJobsClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLongJobsClient(configure);
        services.AddLongJobsClient<SampleJobsClient>(configure);
        return services.BuildServiceProvider(validateScopes: true);
    }
}
