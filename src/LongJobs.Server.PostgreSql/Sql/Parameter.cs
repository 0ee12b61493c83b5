using System.Text.Json;
using NpgsqlTypes;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Sql;

/// <summary>The statements' parameters of the types whose mapping the store chooses: <see langword="null"/> is SQL <c>NULL</c>.</summary>
internal static class Parameter
{
    public static NpgsqlParameter Uuid(string name, Guid? value) =>
        new(name, NpgsqlDbType.Uuid) { Value = value is { } id ? id : DBNull.Value };

    public static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = value is null ? DBNull.Value : value };

    /// <summary>An instant, as <c>timestamptz</c> (in UTC, which Npgsql requires).</summary>
    public static NpgsqlParameter Timestamp(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = value is { } instant ? instant.ToUniversalTime() : DBNull.Value };

    /// <summary>JSON as its text, kept verbatim by <c>json</c> columns.</summary>
    public static NpgsqlParameter Json(string name, JsonElement? value) =>
        new(name, NpgsqlDbType.Json) { Value = value is { } json ? json.GetRawText() : DBNull.Value };

    public static NpgsqlParameter Integer(string name, int value) => new NpgsqlParameter<int>(name, value);

    public static NpgsqlParameter Uuids(string name, IEnumerable<Guid> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.ToArray() };

    /// <summary>IDs, as <c>uuid[]</c>, any of them <see langword="null"/>.</summary>
    public static NpgsqlParameter NullableUuids(string name, IEnumerable<Guid?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.ToArray() };

    public static NpgsqlParameter Texts(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    /// <summary>Texts, any of them <see langword="null"/>.</summary>
    public static NpgsqlParameter NullableTexts(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    public static NpgsqlParameter Integers(string name, IEnumerable<int> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = values.ToArray() };

    /// <summary>Instants, as <c>timestamptz[]</c>, any of them <see langword="null"/>.</summary>
    public static NpgsqlParameter Timestamps(string name, IEnumerable<DateTimeOffset?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = values.Select(value => value?.ToUniversalTime()).ToArray() };

    /// <summary>JSON texts, as <c>json[]</c>, any of them <see langword="null"/>.</summary>
    public static NpgsqlParameter Jsons(string name, IEnumerable<JsonElement?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Json) { Value = values.Select(value => value?.GetRawText()).ToArray() };

    public static NpgsqlParameter Interval(string name, TimeSpan value) => new NpgsqlParameter<TimeSpan>(name, NpgsqlDbType.Interval) { TypedValue = value };
}
