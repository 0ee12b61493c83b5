using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.PostgreSql.Migrations;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// An <see cref="IJobStore"/> in a PostgreSQL database that many server instances share. Every change is one
/// guarded statement (its <c>WHERE</c> names the expected status), and a trigger announces it with
/// <c>NOTIFY</c>, so waiters on every node wake within milliseconds; a slow re-read covers lost notifications.
/// </summary>
internal sealed class PostgreSqlJobStore : IJobStore, IAsyncDisposable
{
    /// <summary>How long a waiter trusts notifications before it reads the job again anyway.</summary>
    internal static readonly TimeSpan FallbackPollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How many finished jobs one retention statement removes at most, per reason (expired, beyond the count).</summary>
    internal const int DeleteBatchSize = 1000;

    /// <summary>How errors, notifications and deliveries are stored as JSON.</summary>
    private static readonly JsonSerializerOptions StoredSerializerOptions = new(JsonSerializerOptions.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlScripts _sql;
    private readonly SchemaMigrator _migrator;
    private readonly JobChangeListener _changes;
    private readonly TimeProvider _time;
    private readonly string _sweepLock;
    private readonly string _node;
    private readonly TimeSpan _leaseDuration;
    private readonly Lock _migrationGate = new();
    private Task? _migration;
    private int _disposed;

    public PostgreSqlJobStore(IOptions<PostgreSqlJobStoreOptions> options, TimeProvider time, ILogger<PostgreSqlJobStore> logger)
    {
        _dataSource = CreateDataSource(options.Value.ConnectionString);
        _sql = new SqlScripts(options.Value.Schema);
        _migrator = new SchemaMigrator(_dataSource, _sql, logger);
        _changes = new JobChangeListener(options.Value.ConnectionString, _sql, time, logger);
        _time = time;
        _sweepLock = "sweep:" + options.Value.Schema;
        _node = options.Value.NodeName;
        _leaseDuration = options.Value.LeaseDuration;
    }

    /// <summary>
    /// The store's connection pool. Unless the connection string says otherwise, it prepares the statements it
    /// runs repeatedly (Max Auto Prepare), so PostgreSQL parses and plans each once per connection, and it does
    /// not reset a connection's session when the store returns it to the pool (No Reset On Close): the reset costs
    /// a statement per use, and the store's statements leave no session state behind. Statements name their
    /// columns rather than <c>*</c>, so a prepared statement survives a later migration that adds a column.
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        var given = settings.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("Max Auto Prepare"))
        {
            settings.MaxAutoPrepare = AutoPreparedStatements;
        }

        if (!given.Contains("No Reset On Close"))
        {
            settings.NoResetOnClose = true;
        }

        return builder.Build();
    }

    /// <summary>How many statements each connection keeps prepared: every statement of the store, with room to spare.</summary>
    internal const int AutoPreparedStatements = 32;

    /// <summary>Jobs outlive every node, and any node with a job's kind may run it.</summary>
    public bool IsDurable => true;

    /// <summary>Jobs are kept in the database: a restart loses none.</summary>
    public DateTimeOffset? InMemorySince => null;

    /// <summary>
    /// Creates or upgrades the schema; every other operation waits for it. A failed attempt is retried by the next
    /// call. Throws <see cref="JobStoreUnavailableException"/> while the database cannot be reached.
    /// </summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await StartOrJoinMigration().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    private Task StartOrJoinMigration()
    {
        Task migration;
        lock (_migrationGate)
        {
            // Shared by every caller, so no one caller's token may cancel it; each caller stops waiting on its own.
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                _migration = _migrator.MigrateAsync(CancellationToken.None);
            }

            migration = _migration;
        }

        return migration;
    }

    public async ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.MaxAttempts);
        if (job.Owner is { Length: 0 })
        {
            throw new ArgumentException("A job's owner is null or a non-empty identifier.", nameof(job));
        }

        // A claimable job may get a follower on this node (a handle started here, waiting for whichever node runs
        // it): tracked from before the insert, it need not read the job it just inserted.
        var tracked = job.Request is not null;
        if (tracked)
        {
            _changes.ExpectInsert(job.Id);
        }

        JobRecord? inserted;
        try
        {
            inserted = await QuerySingleAsync(
                "InsertJob",
                cancellationToken,
                Uuid("id", job.Id),
                Text("kind", job.Kind),
                Timestamp("created_at", job.CreatedAt),
                Json("request", job.Request),
                Text("owner", job.Owner),
                Text("idempotency_key", job.IdempotencyKey),
                new NpgsqlParameter<int>("max_attempts", job.MaxAttempts),
                Json("notifications", job.Notifications is { IsEmpty: false } notifications ? JsonSerializer.SerializeToElement(notifications, StoredSerializerOptions) : null),
                Text("trace_parent", job.TraceParent),
                Text("node", _node),
                Timestamp("lease_expires_at", job.CreatedAt + _leaseDuration)).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            _changes.Forget(job.Id);
            throw new InvalidOperationException($"A job with ID '{job.Id}' already exists.", exception);
        }
        catch
        {
            _changes.Forget(job.Id);
            throw;
        }

        if (tracked)
        {
            if (inserted is not null)
            {
                _changes.Inserted(job.Id, inserted.Version);
            }
            else
            {
                _changes.Forget(job.Id);
            }
        }

        // The key was taken. The conflicting insert has committed (ON CONFLICT waited for it), and this new
        // statement's snapshot sees it; if the job was removed meanwhile, insert again.
        return inserted
            ?? await QuerySingleAsync("GetJobByIdempotencyKey", cancellationToken, Text("idempotency_key", job.IdempotencyKey), Text("owner", job.Owner)).ConfigureAwait(false)
            ?? await InsertAsync(job, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync("GetJob", cancellationToken, Uuid("id", id));

    public async ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var jobs = await QueryAsync(
            "ListJobs",
            cancellationToken,
            Text("status", query.Status?.ToString()),
            Text("kind", query.Kind),
            Text("owner", query.Owner),
            Timestamp("completed_after", query.CompletedAfter),
            Timestamp("after_created_at", query.After?.CreatedAt),
            Uuid("after_id", query.After?.Id),
            new NpgsqlParameter<int>("limit", query.PageSize + 1)).ConfigureAwait(false);

        JobCursor? next = null;
        if (jobs.Count > query.PageSize)
        {
            jobs.RemoveAt(jobs.Count - 1);
            next = new JobCursor(jobs[^1].CreatedAt, jobs[^1].Id);
        }

        return new JobPage(jobs, next);
    }

    public async ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default)
    {
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand(_sql["CountQueuedJobs"]);
            command.Parameters.Add(new NpgsqlParameter<int>("count_at_most", countAtMost));
            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var claimed = await QueryAsync(
            "ClaimJobs",
            cancellationToken,
            new NpgsqlParameter("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = kinds.ToArray() },
            new NpgsqlParameter<int>("limit", limit),
            Timestamp("started_at", startedAt),
            Text("node", _node),
            Timestamp("lease_expires_at", startedAt + _leaseDuration)).ConfigureAwait(false);

        foreach (var job in claimed)
        {
            _changes.Forget(job.Id);
        }

        // RETURNING keeps no order.
        claimed.Sort(static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : a.Id.CompareTo(b.Id));
        return claimed;
    }

    public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => _changes.NextQueued().WaitAsync(cancellationToken);

    /// <summary>The IDs of running jobs someone asked to cancel, through any node, as the requests are made.</summary>
    internal System.Threading.Channels.ChannelReader<Guid> CancellationRequests => _changes.CancellationRequests;

    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(
            "TryStartJob",
            cancellationToken,
            Uuid("id", id),
            Timestamp("started_at", startedAt),
            Text("node", _node),
            Timestamp("lease_expires_at", startedAt + _leaseDuration));

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(
            "TryReportProgress",
            cancellationToken,
            Uuid("id", id),
            new NpgsqlParameter<int>("attempt", attempt),
            new NpgsqlParameter<double>("progress", progress),
            Text("message", message));

    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, string message, CancellationToken cancellationToken = default) =>
        QuerySingleAsync("TryStartNextAttempt", cancellationToken, Uuid("id", id), new NpgsqlParameter<int>("failed_attempt", failedAttempt), Text("message", message));

    public async ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        Finished(await QuerySingleAsync("TryRequeueJob", cancellationToken, Uuid("id", id), new NpgsqlParameter<int>("attempt", attempt), Text("message", message), Timestamp("at", at)).ConfigureAwait(false));

    public async ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        return Finished(await QuerySingleAsync(
            "TryFinishJob",
            cancellationToken,
            Uuid("id", id),
            Text("expected_status", expectedStatus.ToString()),
            new NpgsqlParameter<int>("expected_attempt", expectedAttempt),
            Text("status", outcome.Status.ToString()),
            Timestamp("completed_at", outcome.CompletedAt),
            Json("result", outcome.Result),
            Json("error", outcome.Error is { } error ? JsonSerializer.SerializeToElement(error, StoredSerializerOptions) : null)).ConfigureAwait(false));
    }

    public async ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default) =>
        Finished(await QuerySingleAsync("RequestCancellation", cancellationToken, Uuid("id", id), Timestamp("canceled_at", canceledAt)).ConfigureAwait(false))
        ?? await GetAsync(id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return await QuerySingleAsync(
            "RecordDelivery",
            cancellationToken,
            Uuid("id", id),
            Text("channel", delivery.Channel),
            Json("delivery", JsonSerializer.SerializeToElement(delivery, StoredSerializerOptions))).ConfigureAwait(false);
    }

    public event Action<JobRecord>? JobFinished;

    public IDisposable WatchChanges(Action<Guid> onChanged) => _changes.WatchAll(onChanged);

    /// <summary>Announces <paramref name="job"/> when a statement of this store just finished it; returns it.</summary>
    private JobRecord? Finished(JobRecord? job)
    {
        if (job is { Status: var status } && status.IsFinished())
        {
            JobFinished?.Invoke(job);
        }

        return job;
    }

    public async ValueTask<JobRecord?> WaitForChangeAsync(Guid id, long knownVersion, CancellationToken cancellationToken = default)
    {
        // A job this node inserted in knownVersion, and that no notification has mentioned since, is still in it:
        // the first wait needs no read (a follower of a job queued here would otherwise read every queued job).
        var read = false;
        while (true)
        {
            using var watch = _changes.NextChange(id);
            if (read || !_changes.IsUnchangedSinceInsert(id, knownVersion))
            {
                var job = await GetAsync(id, cancellationToken).ConfigureAwait(false);
                if (job is null || job.Version > knownVersion)
                {
                    return job;
                }
            }

            read = true;

            try
            {
                await watch.Changed.WaitAsync(FallbackPollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No notification came: read again in case one was lost.
            }
        }
    }

    /// <summary>
    /// A node's heartbeat at <paramref name="now"/>: holds its running jobs <paramref name="ids"/> until <paramref name="leaseExpiresAt"/>.
    /// </summary>
    /// <returns>The jobs among them that this node still holds, and whether someone asked to cancel each.</returns>
    internal async Task<IReadOnlyList<(Guid Id, bool CancellationRequested)>> RenewLeasesAsync(string node, IReadOnlyCollection<Guid> ids, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken)
    {
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand(_sql["RenewLeases"]);
            command.Parameters.Add(Text("node", node));
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() });
            command.Parameters.Add(Timestamp("lease_expires_at", leaseExpiresAt));
            command.Parameters.Add(Timestamp("heartbeat_at", now));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var renewed = new List<(Guid, bool)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                renewed.Add((reader.GetGuid(0), reader.GetBoolean(1)));
            }

            return renewed;
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    /// <summary>
    /// Recovers the running jobs whose node stopped renewing their lease, or never took one within
    /// <paramref name="startGrace"/> of starting: jobs of registered kinds with attempts left go back to the queue,
    /// the others end (failed with <paramref name="error"/>, or cancelled when asked to).
    /// </summary>
    /// <returns>The jobs it recovered, in their new state.</returns>
    internal async Task<IReadOnlyList<JobRecord>> RecoverJobsOfLostNodesAsync(DateTimeOffset now, TimeSpan startGrace, JobError error, CancellationToken cancellationToken)
    {
        var recovered = await QueryAsync(
            "RecoverJobsOfLostNodes",
            cancellationToken,
            Timestamp("now", now),
            new NpgsqlParameter("start_grace", NpgsqlDbType.Interval) { Value = startGrace },
            Json("error", JsonSerializer.SerializeToElement(error, StoredSerializerOptions))).ConfigureAwait(false);
        foreach (var job in recovered)
        {
            Finished(job);
        }

        return recovered;
    }

    public async ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

            // Every node's sweeper calls this; one at a time does the work, the others have nothing to do.
            await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, hashtext(@lock))", connection))
            {
                tryLock.Parameters.Add(new NpgsqlParameter<int>("class", SqlScripts.AdvisoryLockClass));
                tryLock.Parameters.Add(Text("lock", _sweepLock));
                if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return 0;
                }
            }

            try
            {
                // Small batches keep each delete's locks and WAL short while the table is in use.
                int removed = 0, batch;
                do
                {
                    await using var command = new NpgsqlCommand(_sql["DeleteFinishedJobs"], connection);
                    command.Parameters.Add(Timestamp("finished_before", finishedBefore));
                    command.Parameters.Add(new NpgsqlParameter<int>("keep_at_most", keepAtMost));
                    command.Parameters.Add(new NpgsqlParameter<int>("batch_size", DeleteBatchSize));
                    batch = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    removed += batch;
                }
                while (batch > 0);

                return removed;
            }
            finally
            {
                await UnlockSweepAsync(connection).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    public async ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default)
    {
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand(_sql["DeleteFinishedJob"]);
            command.Parameters.Add(Uuid("id", id));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    /// <summary>Stops listening and closes the connections; safe to call more than once (DI may, as the store is registered under two types).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _changes.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<JobRecord?> QuerySingleAsync(string statement, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        var jobs = await QueryAsync(statement, cancellationToken, parameters).ConfigureAwait(false);
        return jobs.Count == 0 ? null : jobs[0];
    }

    private async Task<List<JobRecord>> QueryAsync(string statement, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        try
        {
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            await using var command = _dataSource.CreateCommand(_sql[statement]);
            command.Parameters.AddRange(parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var jobs = new List<JobRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                jobs.Add(Read(reader));
            }

            return jobs;
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    private async Task UnlockSweepAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@class, hashtext(@lock))", connection);
            unlock.Parameters.Add(new NpgsqlParameter<int>("class", SqlScripts.AdvisoryLockClass));
            unlock.Parameters.Add(Text("lock", _sweepLock));
            await unlock.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (connection.State != System.Data.ConnectionState.Open)
        {
            // The connection broke: its session, and the lock with it, has ended.
        }
        catch (NpgsqlException)
        {
            // The session may still hold the lock, and the pool does not reset sessions: retire its connections,
            // this one included, so the lock ends with its session.
            _dataSource.Clear();
            throw;
        }
    }

    /// <summary>Whether the database cannot be reached for now: network errors, timeouts, a server shutting down or starting.</summary>
    private static bool IsUnavailable(NpgsqlException exception) =>
        exception.IsTransient || exception is PostgresException { SqlState: var state } && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));

    /// <summary>
    /// Reports that the database cannot be reached, and drops the pool's idle connections: after a database
    /// restart they are all dead, and each would fail one more request.
    /// </summary>
    private JobStoreUnavailableException Unavailable(NpgsqlException exception)
    {
        _dataSource.Clear();
        return new JobStoreUnavailableException(exception);
    }

    private static JobRecord Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(reader.GetOrdinal("id")),
        Kind = reader.GetString(reader.GetOrdinal("kind")),
        Status = Enum.Parse<JobStatus>(reader.GetString(reader.GetOrdinal("status"))),
        Progress = reader.GetDouble(reader.GetOrdinal("progress")),
        ProgressMessage = NullableString(reader, "progress_message"),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("created_at")),
        StartedAt = NullableTimestamp(reader, "started_at"),
        CompletedAt = NullableTimestamp(reader, "completed_at"),
        Request = NullableJson(reader, "request"),
        Result = NullableJson(reader, "result"),
        Error = NullableJson(reader, "error")?.Deserialize<JobError>(StoredSerializerOptions),
        Owner = NullableString(reader, "owner"),
        IdempotencyKey = NullableString(reader, "idempotency_key"),
        Attempt = reader.GetInt32(reader.GetOrdinal("attempt")),
        MaxAttempts = reader.GetInt32(reader.GetOrdinal("max_attempts")),
        Notifications = NullableJson(reader, "notifications")?.Deserialize<JobNotifications>(StoredSerializerOptions),
        Deliveries = NullableJson(reader, "deliveries")?.Deserialize<NotificationDelivery[]>(StoredSerializerOptions) ?? [],
        TraceParent = NullableString(reader, "trace_parent"),
        CancellationRequested = reader.GetBoolean(reader.GetOrdinal("cancellation_requested")),
        Version = reader.GetInt64(reader.GetOrdinal("version")),
    };

    private static string? NullableString(NpgsqlDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    private static DateTimeOffset? NullableTimestamp(NpgsqlDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    /// <summary>Stored JSON is read back whatever depth the serializer allowed when it was written.</summary>
    private static readonly JsonDocumentOptions StoredJsonOptions = new() { MaxDepth = 4096 };

    private static JsonElement? NullableJson(NpgsqlDataReader reader, string column) =>
        NullableString(reader, column) is { } json ? JsonElement.Parse(json, StoredJsonOptions) : null;

    private static NpgsqlParameter Uuid(string name, Guid? value) =>
        new(name, NpgsqlDbType.Uuid) { Value = value is { } id ? id : DBNull.Value };

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = value is null ? DBNull.Value : value };

    private static NpgsqlParameter Timestamp(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = value is { } instant ? instant.ToUniversalTime() : DBNull.Value };

    private static NpgsqlParameter Json(string name, JsonElement? value) =>
        new(name, NpgsqlDbType.Json) { Value = value is { } json ? json.GetRawText() : DBNull.Value };
}
