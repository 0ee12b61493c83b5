using LongJobs.Server.PostgreSql;
using LongJobs.Server.PostgreSql.Leases;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps LongJobs' jobs in PostgreSQL.</summary>
public static class PostgreSqlLongJobsBuilderExtensions
{
    /// <summary>
    /// Replaces the in-memory job store with one in PostgreSQL, which every server instance pointed at the same
    /// database shares, on the <see cref="NpgsqlDataSource"/> registered in the services (for example by
    /// <c>AddNpgsqlDataSource</c> from Npgsql.DependencyInjection), unless <paramref name="configure"/> sets a
    /// connection string. The schema is created or upgraded when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddLongJobs</c>.</param>
    /// <param name="configure">Sets further options, such as the schema.</param>
    /// <returns>The same builder.</returns>
    public static LongJobsBuilder UsePostgreSql(this LongJobsBuilder builder, Action<PostgreSqlJobStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var options = builder.Services.AddOptions<PostgreSqlJobStoreOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlJobStoreOptions>, PostgreSqlJobStoreOptionsValidator>());
        builder.Services.TryAddSingleton<PostgreSqlJobStore>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IJobStore>(provider => provider.GetRequiredService<PostgreSqlJobStore>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlMigrationService>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LeaseKeeper>());
        return builder;
    }

    /// <summary>
    /// Replaces the in-memory job store with one in PostgreSQL on the application's own <paramref name="dataSource"/>
    /// (its connection pool, credentials and logging), which the application keeps and disposes. The schema is created
    /// or upgraded when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddLongJobs</c>.</param>
    /// <param name="dataSource">The pool the store runs its statements on; it holds one connection for the whole time, to listen for changes.</param>
    /// <param name="configure">Sets further options, such as the schema.</param>
    /// <returns>The same builder.</returns>
    public static LongJobsBuilder UsePostgreSql(this LongJobsBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlJobStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSql(options =>
        {
            options.DataSource = dataSource;
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// Replaces the in-memory job store with one in PostgreSQL, which every server instance pointed at the same
    /// database shares, on a connection pool of its own. The schema is created or upgraded when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddLongJobs</c>.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="configure">Sets further options, such as the schema.</param>
    /// <returns>The same builder.</returns>
    public static LongJobsBuilder UsePostgreSql(this LongJobsBuilder builder, string connectionString, Action<PostgreSqlJobStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSql(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
    }
}

/// <summary>Checks <see cref="PostgreSqlJobStoreOptions"/> at start-up, limits and the rules that span fields.</summary>
/// <param name="services">Tells whether the services hold an <see cref="NpgsqlDataSource"/>; without it, none is assumed.</param>
internal sealed class PostgreSqlJobStoreOptionsValidator(IServiceProviderIsService? services = null) : IValidateOptions<PostgreSqlJobStoreOptions>
{
    private readonly PostgreSqlJobStoreOptionsLimitsValidator _limits = new();

    public ValidateOptionsResult Validate(string? name, PostgreSqlJobStoreOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(_limits.Validate(name, options));
        if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.DataSource is null && services?.IsService(typeof(NpgsqlDataSource)) != true)
        {
            result.AddError(PostgreSqlJobStoreOptions.NoDataSourceMessage, nameof(PostgreSqlJobStoreOptions.ConnectionString));
        }

        if (options.HeartbeatInterval >= options.LeaseDuration)
        {
            result.AddError(
                $"{nameof(PostgreSqlJobStoreOptions.HeartbeatInterval)} ({options.HeartbeatInterval}) must be shorter than {nameof(PostgreSqlJobStoreOptions.LeaseDuration)} ({options.LeaseDuration}), or running jobs lose their leases.",
                nameof(PostgreSqlJobStoreOptions.HeartbeatInterval));
        }

        return result.Build();
    }
}

/// <summary>Checks the limits declared on <see cref="PostgreSqlJobStoreOptions"/>' properties.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlJobStoreOptionsLimitsValidator : IValidateOptions<PostgreSqlJobStoreOptions>;

/// <summary>
/// Creates or upgrades the schema when the host starts. A database that cannot serve the node yet (out of reach,
/// rejecting the credentials, missing) does not stop it from starting: the store logs what is wrong in one warning,
/// the node answers 503 (and its health check says unhealthy) until the database serves it, and migrates then, as it
/// would after an outage at run time. Any other error (a 42xxx one, such as a role that may not create the schema)
/// stops start-up.
/// </summary>
internal sealed partial class PostgreSqlMigrationService(PostgreSqlJobStore store, ILogger<PostgreSqlMigrationService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException exception)
        {
            // The store's availability has logged what is wrong, once; this line adds the consequence, for debugging.
            MigrationDeferred(logger, exception.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(2, LogLevel.Debug, "The schema will be created or upgraded once the job database serves the store ({Reason})")]
    private static partial void MigrationDeferred(ILogger logger, string reason);
}
