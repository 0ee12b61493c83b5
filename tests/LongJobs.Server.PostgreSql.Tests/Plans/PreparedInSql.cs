using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace LongJobs.Server.PostgreSql.Tests.Plans;

/// <summary>
/// A store statement prepared with SQL's <c>PREPARE</c> (its <c>@name</c> parameters numbered, typed from the parameters the
/// store binds), so a test can look at the plan PostgreSQL keeps for it, as it keeps one for a statement that Npgsql prepared.
/// </summary>
internal sealed class PreparedInSql
{
    private readonly string _name;
    private readonly string[] _parameterNames;

    private PreparedInSql(string name, string[] parameterNames)
    {
        _name = name;
        _parameterNames = parameterNames;
    }

    /// <summary>Prepares <paramref name="sql"/> on <paramref name="connection"/> under <paramref name="name"/>.</summary>
    public static async Task<PreparedInSql> PrepareAsync(NpgsqlConnection connection, string name, string sql, NpgsqlParameter[] parameters)
    {
        var names = new List<string>();
        var numbered = Regex.Replace(Regex.Replace(sql, "--[^\n]*", string.Empty), "@([a-z_]+)", match =>
        {
            if (!names.Contains(match.Groups[1].Value))
            {
                names.Add(match.Groups[1].Value);
            }

            return "$" + (names.IndexOf(match.Groups[1].Value) + 1).ToString(CultureInfo.InvariantCulture);
        }).Trim().TrimEnd(';');
        var prepared = new PreparedInSql(name, [.. names]);
        var types = names.Count == 0 ? string.Empty : $"({string.Join(", ", prepared.Ordered(parameters).Select(TypeName))})";
        await using var prepare = new NpgsqlCommand($"PREPARE {name} {types} AS {numbered}", connection);
        await prepare.ExecuteNonQueryAsync();
        return prepared;
    }

    /// <summary>Runs the statement with <paramref name="parameters"/> under <c>EXPLAIN (ANALYZE)</c>: the plan it used.</summary>
    public async Task<QueryPlan> ExplainAsync(NpgsqlConnection connection, NpgsqlParameter[] parameters)
    {
        // EXECUTE takes no parameters of the protocol: its arguments are literals, which the prepared types read.
        var arguments = _parameterNames.Length == 0 ? string.Empty : $"({string.Join(", ", Ordered(parameters).Select(parameter => Literal(parameter.Value)))})";
        await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {_name} {arguments}", connection);
        return QueryPlan.Parse((string)(await explain.ExecuteScalarAsync())!);
    }

    /// <summary>Forgets the statement.</summary>
    public async Task DeallocateAsync(NpgsqlConnection connection)
    {
        await using var deallocate = new NpgsqlCommand($"DEALLOCATE {_name}", connection);
        await deallocate.ExecuteNonQueryAsync();
    }

    private IEnumerable<NpgsqlParameter> Ordered(NpgsqlParameter[] parameters) =>
        _parameterNames.Select(name => parameters.Single(parameter => parameter.ParameterName == name));

    private static string Literal(object? value) => value switch
    {
        null or DBNull => "NULL",
        DateTimeOffset instant => Literal(instant.ToString("O", CultureInfo.InvariantCulture)),
        IFormattable number and (int or double) => number.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items and not string => Literal("{" + string.Join(",", items.Cast<object?>().Select(ArrayItem)) + "}"),
        _ => "'" + Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("'", "''", StringComparison.Ordinal) + "'",
    };

    /// <summary>An item of an array literal: quoted, with its quotes and backslashes escaped.</summary>
    private static string ArrayItem(object? item) => item switch
    {
        null => "NULL",
        DateTimeOffset instant => $"\"{instant.ToString("O", CultureInfo.InvariantCulture)}\"",
        _ => "\"" + Convert.ToString(item, CultureInfo.InvariantCulture)!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
    };

    private static string TypeName(NpgsqlParameter parameter) => parameter.NpgsqlDbType switch
    {
        NpgsqlDbType.Uuid => "uuid",
        NpgsqlDbType.Text => "text",
        NpgsqlDbType.TimestampTz => "timestamptz",
        NpgsqlDbType.Json => "json",
        NpgsqlDbType.Integer => "integer",
        NpgsqlDbType.Double => "double precision",
        NpgsqlDbType.Interval => "interval",
        NpgsqlDbType.Array | NpgsqlDbType.Uuid => "uuid[]",
        NpgsqlDbType.Array | NpgsqlDbType.Text => "text[]",
        NpgsqlDbType.Array | NpgsqlDbType.Integer => "integer[]",
        NpgsqlDbType.Array | NpgsqlDbType.TimestampTz => "timestamptz[]",
        NpgsqlDbType.Array | NpgsqlDbType.Json => "json[]",
        NpgsqlDbType.Array | NpgsqlDbType.Double => "double precision[]",
        var other => throw new NotSupportedException($"No SQL type for {other}."),
    };
}
