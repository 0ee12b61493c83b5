using LongJobs.Server;
using LongJobs.Server.Api;
using LongJobs.Server.Execution;
using LongJobs.Server.Execution.Scheduling;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Delivery;
using LongJobs.Server.Observability;
using LongJobs.Server.Retention;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LongJobs in an application's services.</summary>
public static class LongJobsServiceCollectionExtensions
{
    /// <summary>Adds the job scheduler, the in-memory job store and retention, with default options.</summary>
    /// <param name="services">The application's services.</param>
    /// <returns>A builder to register job kinds with.</returns>
    public static LongJobsBuilder AddLongJobs(this IServiceCollection services) => services.AddLongJobs(static _ => { });

    /// <summary>Adds the job scheduler, the in-memory job store and retention.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets options; they are validated when the host starts.</param>
    /// <returns>A builder to register job kinds with.</returns>
    public static LongJobsBuilder AddLongJobs(this IServiceCollection services, Action<LongJobsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<LongJobsOptions>().Configure(configure).ValidateOnStart();

        var kinds = services.FirstOrDefault(service => service.ServiceType == typeof(JobKindRegistry))?.ImplementationInstance as JobKindRegistry;
        if (kinds is not null)
        {
            return new LongJobsBuilder(services, kinds);
        }

        kinds = new JobKindRegistry();
        services.AddSingleton(kinds);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongJobsOptions>, LongJobsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IJobStore, InMemoryJobStore>();

        // Each role of the store is the registered IJobStore itself (UsePostgreSql replaces it): one instance for all.
        services.TryAddSingleton<IJobRecords>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IQueuedJobs>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IScheduledJobs>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IKindPauses>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobSchedules>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobAttempts>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobHistory>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobStatistics>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobNodes>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobChangeFeed>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobDeliveryLog>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobOutbox>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobRetention>(provider => provider.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IJobStoreDurability>(provider => provider.GetRequiredService<IJobStore>());
        services.AddMetrics();
        services.AddHealthChecks().AddCheck<JobStoreHealthCheck>(JobStoreHealthCheck.Name, tags: ["longjobs"]);
        services.TryAddSingleton<JobInstrumentation>();
        services.TryAddSingleton<JobLinks>();
        services.TryAddSingleton<IJobStateDocuments, JobStateDocuments>();
        // Apps replace the resolver to take owners from another claim, a tenant or an API key.
        services.TryAddSingleton<IJobOwnerResolver, ClaimsJobOwnerResolver>();
        services.TryAddSingleton<JobAccess>();
        services.TryAddSingleton<JobNotFound>();
        // Made when MapLongJobs asks for it, in a web application: it needs the host's lifetime.
        services.TryAddSingleton(provider => ActivatorUtilities.CreateInstance<JobEventStreams>(provider));
        // The dashboard (MapLongJobsDashboard) guards its cancel with ASP.NET Core's antiforgery tokens.
        services.AddAntiforgery();
        // The dispatcher and the outbox come first: they are built before the scheduler can finish a job, and stop after it.
        services.TryAddSingleton<JobFinishedDispatcher>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<JobFinishedDispatcher>());
        services.TryAddSingleton<JobNotifier>();
        services.TryAddSingleton<OutboxWorker>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<OutboxWorker>());
        services.TryAddSingleton<JobScheduler>();
        services.TryAddSingleton<IJobScheduler>(provider => provider.GetRequiredService<JobScheduler>());

        // The REST API starts jobs of registered kinds through this, and cancels them through IJobScheduler: an
        // application's own IJobScheduler that also starts them (implements it) is used for both.
        services.TryAddSingleton<IRegisteredJobStarter>(provider =>
            provider.GetRequiredService<IJobScheduler>() as IRegisteredJobStarter ?? provider.GetRequiredService<JobScheduler>());
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<JobScheduler>());
        services.AddHostedService<RetentionSweeper>();
        services.AddProblemDetails();
        services.AddExceptionHandler<LongJobsExceptionHandler>();
        return new LongJobsBuilder(services, kinds);
    }
}
