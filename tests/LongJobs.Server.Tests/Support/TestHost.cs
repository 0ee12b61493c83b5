using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>A generic host with LongJobs and fake time, for what only a host does: start-up validation, hosted services, shutdown.</summary>
public static class TestHost
{
    public static IHost Build(ObservedFakeTimeProvider time, Action<LongJobsOptions>? configure = null, ILoggerProvider? logs = null, IJobStore? store = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
        });
        builder.Services.AddSingleton<TimeProvider>(time);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        if (store is not null)
        {
            builder.Services.AddSingleton(store);
        }

        builder.Services.AddLongJobs(options => configure?.Invoke(options));
        return builder.Build();
    }

    /// <summary>
    /// Does what the host does first when it stops: calls <see cref="IHostedLifecycleService.StoppingAsync"/> on the
    /// hosted services, then signals <see cref="IHostApplicationLifetime.ApplicationStopping"/>. The web server would
    /// still be draining requests; nothing has been stopped yet.
    /// </summary>
    public static async Task BeginStoppingAsync(IServiceProvider services)
    {
        foreach (var service in services.GetServices<IHostedService>().OfType<IHostedLifecycleService>())
        {
            await service.StoppingAsync(CancellationToken.None).WithSafetyTimeout();
        }

        services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
    }
}
