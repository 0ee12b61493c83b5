using System.Reflection;
using LongJobs.Server.PostgreSql.Rows;

namespace LongJobs.Server.PostgreSql.Sql;

/// <summary>
/// The store's SQL, kept in embedded <c>.sql</c> files: <c>Sql/</c> holds one statement per operation and
/// <c>Migrations/</c> the numbered schema changes; statements are sent without their comment lines. <c>{{schema}}</c> and <c>{{channel}}</c> are filled in per store;
/// <c>{{job_columns}}</c> and <c>{{job_list_columns}}</c>, the columns of a job snapshot, from <see cref="JobRows"/>,
/// which reads the rows.
/// </summary>
internal sealed class SqlScripts
{
    private static readonly Assembly Assembly = typeof(SqlScripts).Assembly;

    private readonly Dictionary<string, string> _statements;

    public SqlScripts(string schema)
    {
        Schema = schema;
        Channel = schema + "_job_changes";
        _statements = Resources(".Sql.").ToDictionary(resource => resource.Name, resource => Fill(WithoutCommentLines(resource.Text)), StringComparer.Ordinal);
        Migrations = [.. Resources(".Migrations.")
            .Select(resource => new Migration(int.Parse(resource.Name[..resource.Name.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), resource.Name, Fill(resource.Text)))
            .OrderBy(migration => migration.Version)];
    }

    /// <summary>
    /// The first key of every advisory lock LongJobs takes ("LJOB"), so its locks never collide with the
    /// application's own single-key advisory locks; the second key names the lock within the schema.
    /// </summary>
    public const int AdvisoryLockClass = 0x4C4A4F42;

    /// <summary>The schema that holds the tables.</summary>
    public string Schema { get; }

    /// <summary>The notification channel that carries the IDs of changed jobs.</summary>
    public string Channel { get; }

    /// <summary>The schema changes, by ascending version.</summary>
    public IReadOnlyList<Migration> Migrations { get; }

    /// <summary>The statement of <c>Sql/{name}.sql</c>.</summary>
    public string this[string name] => _statements[name];

    /// <summary>The schema as a quoted identifier, so names that are SQL keywords (<c>user</c>) work too.</summary>
    public string QuotedSchema => $"\"{Schema}\"";

    private string Fill(string sql) => sql
        .Replace("{{schema}}", QuotedSchema, StringComparison.Ordinal)
        .Replace("{{channel}}", Channel, StringComparison.Ordinal)
        .Replace("{{job_columns}}", JobRows.Columns, StringComparison.Ordinal)
        .Replace("{{job_list_columns}}", JobRows.ListColumns, StringComparison.Ordinal);

    /// <summary>
    /// A statement without its comment lines: they explain the SQL files, and would otherwise be sent, and parsed by
    /// Npgsql for parameters, on every execution. A statement with a dollar-quoted body is kept whole (a line of the body
    /// may start with <c>--</c>); so would one with a literal across lines, which no statement has.
    /// </summary>
    private static string WithoutCommentLines(string sql) =>
        sql.Contains("$$", StringComparison.Ordinal)
            ? sql
            : string.Join('\n', sql.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal)));

    private static IEnumerable<(string Name, string Text)> Resources(string folder)
    {
        foreach (var resource in Assembly.GetManifestResourceNames().Where(name => name.Contains(folder, StringComparison.Ordinal)))
        {
            using var stream = Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var file = resource[(resource.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..];
            yield return (Path.GetFileNameWithoutExtension(file), reader.ReadToEnd());
        }
    }

    /// <summary>One numbered schema change.</summary>
    /// <param name="Version">Its number, from its file name.</param>
    /// <param name="Name">Its file name without extension.</param>
    /// <param name="Sql">Its statements.</param>
    public sealed record Migration(int Version, string Name, string Sql);
}
