using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.PostgreSql;

/// <summary>Where the PostgreSQL job store keeps its tables.</summary>
public sealed class PostgreSqlJobStoreOptions
{
    /// <summary>The Npgsql connection string of the database every server instance shares.</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The schema that holds LongJobs' tables; created when missing.</summary>
    /// <value>The default value is <c>longjobs</c>.</value>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "longjobs";
}
