using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.PostgreSql;

/// <summary>Where the PostgreSQL job store keeps its tables.</summary>
public sealed class PostgreSqlJobStoreOptions
{
    /// <summary>The Npgsql connection string of the database every server instance shares.</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The schema that holds LongJobs' tables; created when missing. 1 to 40 lowercase letters, digits and
    /// underscores, starting with a letter (the schema's notification channel name must fit PostgreSQL's 63).
    /// </summary>
    /// <value>The default value is <c>longjobs</c>.</value>
    [Required]
    [RegularExpression("^(?!pg_)[a-z][a-z0-9_]{0,39}$")]
    public string Schema { get; set; } = "longjobs";
}
