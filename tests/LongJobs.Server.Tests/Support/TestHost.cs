using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Support;

/// <summary>A generic host with LongJobs and fake time, for what only a host does: start-up validation, hosted services, shutdown.</summary>
public static class TestHost
{
    public static IHost Build(ObservedFakeTimeProvider time, Action<LongJobsOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
        });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddLongJobs(options => configure?.Invoke(options));
        return builder.Build();
    }
}
