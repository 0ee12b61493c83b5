using LongJobs.Server.Execution;
using LongJobs.Server.Execution.Scheduling;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.DependencyInjection;

/// <summary><c>AddLongJobs</c> and <c>AddJob</c>: registrations, start-up validation of options, kind registration rules.</summary>
public sealed class AddLongJobsTests
{
    [Fact]
    public async Task Start_WithInvalidOptions_ThrowsOptionsValidationExceptionNamingEveryBadField()
    {
        using var host = TestHost.Build(new ObservedFakeTimeProvider(), options =>
        {
            options.MaxConcurrency = 0;
            options.MaxQueuedJobs = -1;
            options.RetainFinishedJobsFor = TimeSpan.Zero;
            options.AdministratorRole = "";
        });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(typeof(LongJobsOptions), exception.OptionsType);
        Assert.Contains(nameof(LongJobsOptions.MaxConcurrency), exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LongJobsOptions.MaxQueuedJobs), exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LongJobsOptions.RetainFinishedJobsFor), exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LongJobsOptions.AdministratorRole), exception.Message, StringComparison.Ordinal);
        Assert.Equal(4, exception.Failures.Count());
    }

    [Fact]
    public async Task Start_WithDefaultOptions_StartsAndStops()
    {
        using var host = TestHost.Build(new ObservedFakeTimeProvider());

        await host.StartAsync();
        await host.StopAsync().WithSafetyTimeout();
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new LongJobsOptions();

        Assert.InRange(options.MaxConcurrency, 1, 20);
        Assert.Equal(1000, options.MaxQueuedJobs);
        Assert.Equal(TimeSpan.FromHours(24), options.RetainFinishedJobsFor);
        Assert.Equal(10_000, options.MaxRetainedJobs);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetentionSweepInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ShutdownTimeout);
        Assert.Null(options.IncludeExceptionDetails);
    }

    [Fact]
    public void AddLongJobs_RegistersSchedulerStoreAndHostedServices()
    {
        using var provider = NewServices().AddLongJobs().Services.BuildServiceProvider(validateScopes: true);

        var scheduler = provider.GetRequiredService<IJobScheduler>();
        Assert.IsType<JobScheduler>(scheduler);
        Assert.IsType<InMemoryJobStore>(provider.GetRequiredService<IJobStore>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Contains(hosted, service => ReferenceEquals(service, scheduler));
        Assert.Contains(hosted, service => service is LongJobs.Server.Retention.RetentionSweeper);
    }

    [Fact]
    public void AddLongJobs_KeepsTheApplicationsOwnStoreAndTimeProvider()
    {
        var time = new ObservedFakeTimeProvider();
        var store = new InMemoryJobStore(Options.Create(new LongJobsOptions()), time);
        var services = NewServices().AddSingleton<TimeProvider>(time).AddSingleton<IJobStore>(store);
        services.AddLongJobs();
        using var provider = services.BuildServiceProvider();

        Assert.Same(store, provider.GetRequiredService<IJobStore>());
        Assert.Same(time, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddLongJobs_RegistersEveryRoleOfTheStore_AsTheOneRegisteredStore()
    {
        var store = new InMemoryJobStore(Options.Create(new LongJobsOptions()), TimeProvider.System);
        var services = NewServices().AddSingleton<IJobStore>(store);
        services.AddLongJobs();
        using var provider = services.BuildServiceProvider(validateScopes: true);

        Assert.Same(store, provider.GetRequiredService<IJobRecords>());
        Assert.Same(store, provider.GetRequiredService<IQueuedJobs>());
        Assert.Same(store, provider.GetRequiredService<IJobAttempts>());
        Assert.Same(store, provider.GetRequiredService<IJobChangeFeed>());
        Assert.Same(store, provider.GetRequiredService<IJobDeliveryLog>());
        Assert.Same(store, provider.GetRequiredService<IJobRetention>());
        Assert.Same(store, provider.GetRequiredService<IJobStoreDurability>());
    }

    [Fact]
    public async Task AddLongJobs_CalledTwice_SharesOneRegistryAndOneScheduler()
    {
        var services = NewServices().AddSingleton(new JobGates());
        services.AddLongJobs().AddJob<ProbeJob, ProbeRequest, ProbeResult>("probe");
        services.AddLongJobs(options => options.MaxConcurrency = 3).AddJob<FailingJob, FailingRequest, GatedResult>("failing");
        services.AddSingleton<ProbeLog>().AddScoped<ScopedProbe>();
        await using var provider = services.BuildServiceProvider();

        var scheduler = provider.GetRequiredService<IJobScheduler>();
        var probe = await scheduler.StartKindAsync("probe", new ProbeRequest());
        var failing = await scheduler.StartKindAsync("failing", new FailingRequest());

        await probe.Task.WithSafetyTimeout();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.Task.WithSafetyTimeout());
        Assert.Equal(3, provider.GetRequiredService<IOptions<LongJobsOptions>>().Value.MaxConcurrency);
        Assert.Single(provider.GetServices<IHostedService>().OfType<JobScheduler>());
    }

    [Fact]
    public void AddJob_RegistersTheHandlerAsScoped()
    {
        var services = NewServices();

        services.AddLongJobs().AddJob<FailingJob, FailingRequest, GatedResult>("failing");

        var handler = Assert.Single(services, service => service.ServiceType == typeof(FailingJob));
        Assert.Equal(ServiceLifetime.Scoped, handler.Lifetime);
    }

    [Fact]
    public void AddJob_WhenTheHandlerIsAlreadyRegistered_KeepsThatRegistration()
    {
        var services = NewServices().AddTransient<FailingJob>();

        services.AddLongJobs().AddJob<FailingJob, FailingRequest, GatedResult>("failing");

        var handler = Assert.Single(services, service => service.ServiceType == typeof(FailingJob));
        Assert.Equal(ServiceLifetime.Transient, handler.Lifetime);
    }

    [Fact]
    public void AddJob_WithANameAlreadyRegistered_ThrowsInvalidOperationException()
    {
        var builder = NewServices().AddLongJobs().AddJob<FailingJob, FailingRequest, GatedResult>("dup");

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddJob<GatedJob, GatedRequest, GatedResult>("dup"));

        Assert.Contains("dup", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJob_NamedLikeAdHocJobs_ThrowsInvalidOperationException()
    {
        var builder = NewServices().AddLongJobs();

        Assert.Throws<InvalidOperationException>(() => builder.AddJob<FailingJob, FailingRequest, GatedResult>("ad-hoc"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("with space")]
    [InlineData("-leading-hyphen")]
    [InlineData("under_score")]
    [InlineData("a1234567890123456789012345678901234567890123456789012345678901234")]
    public void AddJob_WithAnInvalidName_ThrowsArgumentException(string kind)
    {
        var builder = NewServices().AddLongJobs();

        Assert.Throws<ArgumentException>(() => builder.AddJob<FailingJob, FailingRequest, GatedResult>(kind));
    }

    [Theory]
    [InlineData("a-")]
    [InlineData("a--b")]
    [InlineData("-a")]
    [InlineData("A")]
    [InlineData("a-very-long-kind-name-that-goes-on-and-on-past-the-sixty-four-limit")]
    public void AddJob_WithANameThatIsNotHyphenatedLowercaseWordsOfAtMost64Characters_ThrowsArgumentException(string kind)
    {
        var builder = NewServices().AddLongJobs();

        Assert.Throws<ArgumentException>(() => builder.AddJob<FailingJob, FailingRequest, GatedResult>(kind));
    }

    [Fact]
    public void AddJob_WithANameThatWouldShareOperationNames_ThrowsInvalidOperationException()
    {
        var builder = NewServices().AddLongJobs().AddJob<FailingJob, FailingRequest, GatedResult>("sleep2");

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddJob<GatedJob, GatedRequest, GatedResult>("sleep-2"));

        Assert.Contains("sleep2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJob_NamedAdHoc_ThrowsInvalidOperationExceptionSayingTheNameIsReserved()
    {
        var builder = NewServices().AddLongJobs();

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddJob<FailingJob, FailingRequest, GatedResult>("ad-hoc"));

        Assert.Contains("reserved", exception.Message, StringComparison.Ordinal);
    }

    private static IServiceCollection NewServices() => new ServiceCollection()
        .AddLogging()
        .AddSingleton<IHostEnvironment>(new TestHostEnvironment(Environments.Production));
}
