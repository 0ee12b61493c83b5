using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// LongJobs services built the way an application builds them (<c>AddLogging().AddLongJobs(...)</c>), with
/// fake time and the test kinds <c>gated</c>, <c>probe</c> and <c>failing</c> registered. No host: nothing stops the
/// scheduler unless the test does.
/// </summary>
internal sealed class TestServices : IAsyncDisposable
{
    private TestServices(ServiceProvider provider, ObservedFakeTimeProvider time, JobGates gates)
    {
        Provider = provider;
        Time = time;
        Gates = gates;
    }

    public ServiceProvider Provider { get; }

    public ObservedFakeTimeProvider Time { get; }

    public JobGates Gates { get; }

    public IJobScheduler Scheduler => Provider.GetRequiredService<IJobScheduler>();

    /// <summary>The in-memory store that holds the jobs (inside a <see cref="FaultyJobStore"/> when the test gave one).</summary>
    public InMemoryJobStore Store => Provider.GetRequiredService<IJobStore>() switch
    {
        FaultyJobStore faulty => faulty.Inner,
        var store => (InMemoryJobStore)store,
    };

    public static TestServices Create(
        Action<LongJobsOptions>? configure = null,
        string environmentName = "Production",
        Action<LongJobsBuilder>? addJobs = null,
        ILoggerProvider? logs = null,
        Func<TimeProvider, IJobStore>? store = null,
        ObservedFakeTimeProvider? time = null,
        LogLevel minimumLogLevel = LogLevel.Information)
    {
        time ??= new ObservedFakeTimeProvider();
        var gates = new JobGates();
        var services = new ServiceCollection()
            .AddLogging(logging =>
            {
                if (logs is not null)
                {
                    logging.AddProvider(logs).SetMinimumLevel(minimumLogLevel);
                }
            })
            .AddSingleton<TimeProvider>(time)
            .AddSingleton<IHostEnvironment>(new TestHostEnvironment(environmentName))
            .AddSingleton(gates)
            .AddSingleton<ProbeLog>()
            .AddScoped<ScopedProbe>();
        if (store is not null)
        {
            services.AddSingleton(store(time));
        }

        var longJobs = services.AddLongJobs(options => configure?.Invoke(options))
            .AddJob<GatedJob, GatedRequest, GatedResult>("gated")
            .AddJob<ProbeJob, ProbeRequest, ProbeResult>("probe")
            .AddJob<FailingJob, FailingRequest, GatedResult>("failing");
        addJobs?.Invoke(longJobs);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new TestServices(provider, time, gates);
    }

    /// <summary>Starts an ad-hoc job that waits at <paramref name="gate"/>, honouring cancellation, then returns <paramref name="result"/>.</summary>
    public Task<LongRunningJob<int>> StartGatedAsync(JobGate gate, int result = 0) =>
        Scheduler.StartAsync(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            return result;
        });

    public async Task<JobRecord> GetRecordAsync(Guid id) =>
        await Store.GetAsync(id) ?? throw new InvalidOperationException($"Job {id} is not in the store.");

    public async ValueTask DisposeAsync()
    {
        Gates.ReleaseAll();
        await Provider.DisposeAsync();
    }
}

/// <summary>The host environment an application has; the scheduler reads its name to decide on exception details.</summary>
public sealed class TestHostEnvironment(string environmentName) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = environmentName;

    public string ApplicationName { get; set; } = "LongJobs.Server.Tests";

    public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
