using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Rows;

/// <summary>
/// The one place that knows which columns of <c>jobs</c> make a <see cref="JobRecord"/>: the column lists that the
/// statements in <c>Sql/</c> name through <c>{{job_columns}}</c> and <c>{{job_list_columns}}</c>, and the reader of
/// the rows they return. The lists follow <see cref="Column"/>'s order, so the reader reads by position.
/// </summary>
internal static class JobRows
{
    /// <summary>How errors, notifications and deliveries are stored as JSON.</summary>
    public static readonly JsonSerializerOptions StoredSerializerOptions = new(JsonSerializerOptions.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>Stored JSON is read back whatever depth the serializer allowed when it was written.</summary>
    private static readonly JsonDocumentOptions StoredJsonOptions = new() { MaxDepth = 4096 };

    /// <summary>Every column of a job snapshot, in the order of <see cref="Column"/>: what <c>{{job_columns}}</c> stands for.</summary>
    public static string Columns { get; } = string.Join(", ", Enum.GetValues<Column>().Select(ColumnName));

    /// <summary>
    /// The same columns for a list, which shows neither requests nor results (they can be large): those two are
    /// <c>NULL</c>. What <c>{{job_list_columns}}</c> stands for.
    /// </summary>
    public static string ListColumns { get; } = string.Join(", ", Enum.GetValues<Column>().Select(column =>
        column is Column.Request or Column.Result ? $"NULL::json AS {ColumnName(column)}" : ColumnName(column)));

    /// <summary>The columns of a job snapshot; their names are the <c>snake_case</c> of these.</summary>
    private enum Column
    {
        Id,
        Kind,
        Status,
        Progress,
        ProgressMessage,
        CreatedAt,
        StartedAt,
        CompletedAt,
        Request,
        Result,
        Error,
        CancellationRequested,
        Version,
        IdempotencyKey,
        Attempt,
        MaxAttempts,
        Notifications,
        Deliveries,
        Owner,
        TraceParent,
        NotBefore,
        UniqueKey,
        Priority,
        RetryOf,
    }

    /// <summary>Reads the current row of a statement that selected <see cref="Columns"/> or <see cref="ListColumns"/>.</summary>
    public static JobRecord Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid((int)Column.Id),
        Kind = reader.GetString((int)Column.Kind),
        Status = Enum.Parse<JobStatus>(reader.GetString((int)Column.Status)),
        Progress = reader.GetDouble((int)Column.Progress),
        ProgressMessage = NullableString(reader, Column.ProgressMessage),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>((int)Column.CreatedAt),
        StartedAt = NullableTimestamp(reader, Column.StartedAt),
        CompletedAt = NullableTimestamp(reader, Column.CompletedAt),
        Request = NullableJson(reader, Column.Request),
        Result = NullableJson(reader, Column.Result),
        Error = NullableJson(reader, Column.Error)?.Deserialize<JobError>(StoredSerializerOptions),
        Owner = NullableString(reader, Column.Owner),
        IdempotencyKey = NullableString(reader, Column.IdempotencyKey),
        Attempt = reader.GetInt32((int)Column.Attempt),
        MaxAttempts = reader.GetInt32((int)Column.MaxAttempts),
        Notifications = NullableJson(reader, Column.Notifications)?.Deserialize<JobNotifications>(StoredSerializerOptions),
        Deliveries = NullableJson(reader, Column.Deliveries)?.Deserialize<NotificationDelivery[]>(StoredSerializerOptions) ?? [],
        TraceParent = NullableString(reader, Column.TraceParent),
        NotBefore = NullableTimestamp(reader, Column.NotBefore),
        UniqueKey = NullableString(reader, Column.UniqueKey),
        Priority = reader.GetInt32((int)Column.Priority),
        RetryOf = reader.IsDBNull((int)Column.RetryOf) ? null : reader.GetGuid((int)Column.RetryOf),
        CancellationRequested = reader.GetBoolean((int)Column.CancellationRequested),
        Version = reader.GetInt64((int)Column.Version),
    };

    /// <summary>
    /// The rows a statement about many jobs returned, in the order of <paramref name="ids"/>: each job's row, or
    /// <see langword="null"/> for a job the statement did not change (RETURNING keeps no order).
    /// </summary>
    public static IReadOnlyList<JobRecord?> InOrderOf(IReadOnlyList<JobRecord> rows, IEnumerable<Guid> ids)
    {
        var byId = rows.ToDictionary(row => row.Id);
        return [.. ids.Select(id => byId.GetValueOrDefault(id))];
    }

    /// <summary>A value stored as JSON (an error, notifications, a delivery).</summary>
    public static JsonElement ToStoredJson<T>(T value) => JsonSerializer.SerializeToElement(value, StoredSerializerOptions);

    private static string ColumnName(Column column) =>
        string.Concat(column.ToString().Select((letter, index) =>
            char.IsUpper(letter) ? (index > 0 ? "_" : string.Empty) + char.ToLowerInvariant(letter) : letter.ToString()));

    private static string? NullableString(NpgsqlDataReader reader, Column column) =>
        reader.IsDBNull((int)column) ? null : reader.GetString((int)column);

    private static DateTimeOffset? NullableTimestamp(NpgsqlDataReader reader, Column column) =>
        reader.IsDBNull((int)column) ? null : reader.GetFieldValue<DateTimeOffset>((int)column);

    private static JsonElement? NullableJson(NpgsqlDataReader reader, Column column) =>
        NullableString(reader, column) is { } json ? JsonElement.Parse(json, StoredJsonOptions) : null;
}
