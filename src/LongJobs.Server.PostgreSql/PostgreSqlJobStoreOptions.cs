using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.PostgreSql;

/// <summary>Where the PostgreSQL job store keeps its tables.</summary>
public sealed class PostgreSqlJobStoreOptions
{
    /// <summary>Why the store has no database to use: what start-up reports.</summary>
    internal const string NoDataSourceMessage =
        "The PostgreSQL job store has no database: pass a connection string or an NpgsqlDataSource to UsePostgreSql, " +
        "or register an NpgsqlDataSource in the services (for example with AddNpgsqlDataSource from Npgsql.DependencyInjection).";

    /// <summary>
    /// The Npgsql connection string of the database every server instance shares; when it is empty, the store uses the
    /// <c>NpgsqlDataSource</c> given to <c>UsePostgreSql</c>, or else the one registered in the services. From a
    /// connection string the store makes its own connection pool, which, unless the string sets them, prepares
    /// statements (<c>Max Auto Prepare=32</c>) and skips the session reset when a connection returns to the pool
    /// (<c>No Reset On Close=true</c>).
    /// </summary>
    /// <value>The default value is empty.</value>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The application's own pool, given to <c>UsePostgreSql(dataSource)</c>: the store uses it and leaves disposing it to the application.</summary>
    internal Npgsql.NpgsqlDataSource? DataSource { get; set; }

    /// <summary>
    /// The schema that holds LongJobs' tables; created when missing. 1 to 40 lowercase letters, digits and
    /// underscores, starting with a letter (the schema's notification channel name must fit PostgreSQL's 63).
    /// </summary>
    /// <value>The default value is <c>longjobs</c>.</value>
    [Required]
    [RegularExpression("^(?!pg_)[a-z][a-z0-9_]{0,39}$")]
    public string Schema { get; set; } = "longjobs";

    /// <summary>How long a node's hold on its running jobs lasts without renewal; then another node fails them as lost.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a node renews the leases of its running jobs (and picks up cancellations of them).</summary>
    /// <value>The default value is 5 seconds; it must be shorter than <see cref="LeaseDuration"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a store call keeps running again while the database is out of reach (a refused or timed-out
    /// connection, a server restarting), with a growing delay between attempts, before the store reports itself
    /// unavailable (503 with <c>Retry-After</c> for an API request). A call runs again at least three times, however
    /// long its attempts take; one whose outcome is unknown runs again only when a repeat does no harm.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>This node's name in the jobs it runs.</summary>
    /// <value>The default value is the machine name, the process ID and a random suffix.</value>
    [Required]
    public string NodeName { get; set; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
