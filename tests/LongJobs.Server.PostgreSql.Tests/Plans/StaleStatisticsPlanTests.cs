using System.Globalization;
using System.Text.Json;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Xunit.Abstractions;

namespace LongJobs.Server.PostgreSql.Tests.Plans;

/// <summary>
/// The claim, the batched finish and the batched read on a jobs table whose statistics and cached plans are out of date, as on a fresh
/// install under load (autovacuum analyses a table at most once a minute) or when a burst follows a quiet spell: the
/// table was analysed holding 200 finished jobs and no queue, and plans were cached then; since, 20,000 jobs were
/// queued and 2,000 claimed. Each statement must still read only its own work's rows, not the queue or the table
/// whole, with a plan made for these values and with the generic plan kept from when the table was small. Autovacuum
/// is off, so the dead row versions that updates leave stay too, as they do between two of its visits.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class StaleStatisticsPlanTests(PostgreSqlServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Finished = 200, Queued = 20_000, Running = 2_000, ClaimLimit = 10, FinishBatch = 50, ReadBatch = 20;

    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly SqlScripts _sql = new("longjobs");
    private string _connectionString = string.Empty;

    public async Task InitializeAsync()
    {
        _connectionString = await server.CreateDatabaseAsync();
        await using (var store = new PostgreSqlJobStore(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = _connectionString }), TimeProvider.System, NullLogger<PostgreSqlJobStore>.Instance))
        {
            await store.MigrateAsync();
        }

        await using var connection = await OpenAsync();
        await RunAsync(connection, "ALTER TABLE longjobs.jobs SET (autovacuum_enabled = false)");
        await RunAsync(connection, Insert(1, Finished, "Succeeded"));
        await RunAsync(connection, "VACUUM ANALYZE longjobs.jobs");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ClaimJobs_AfterTheQueueGrewPastItsStatistics_ReadsNoMoreThanItClaims()
    {
        await using var connection = await OpenAsync();
        var parameters = () => new[] { Parameter.Texts("kinds", ["report"]), Parameter.Integer("limit", ClaimLimit), Parameter.Timestamp("started_at", Now), Parameter.Text("node", "node-1"), Parameter.Timestamp("lease_expires_at", Now.AddSeconds(30)) };
        var cached = await PrepareGenericAsync(connection, "ClaimJobs", parameters());
        await GrowAsync();

        var (fresh, generic) = await ExplainBothAsync(connection, "ClaimJobs", cached, parameters());

        Assert.InRange(fresh.RowsReadFromJobs, ClaimLimit, ClaimLimit * 3);
        Assert.InRange(generic.RowsReadFromJobs, ClaimLimit, ClaimLimit * 3);
    }

    [Fact]
    public async Task FinishJobs_AfterTheTableGrewPastItsStatistics_ReadsOnlyItsJobs()
    {
        await using var connection = await OpenAsync();
        var ids = Enumerable.Range(Finished + Queued + 1, FinishBatch).Select(JobId).ToList();
        var parameters = () => new[]
        {
            Parameter.Uuids("ids", ids), Parameter.Texts("expected_statuses", Enumerable.Repeat("Running", FinishBatch)),
            Parameter.Integers("expected_attempts", Enumerable.Repeat(1, FinishBatch)), Parameter.Texts("statuses", Enumerable.Repeat("Succeeded", FinishBatch)),
            Parameter.Timestamps("completed_ats", Enumerable.Repeat<DateTimeOffset?>(Now, FinishBatch)),
            Parameter.Jsons("results", Enumerable.Repeat<JsonElement?>(null, FinishBatch)), Parameter.Jsons("errors", Enumerable.Repeat<JsonElement?>(null, FinishBatch)),
        };
        var cached = await PrepareGenericAsync(connection, "FinishJobs", parameters());
        await GrowAsync();

        var (fresh, generic) = await ExplainBothAsync(connection, "FinishJobs", cached, parameters());

        // Each job is read by the lock and again by the update (and its new version by the update's return).
        Assert.InRange(fresh.RowsReadFromJobs, FinishBatch, FinishBatch * 3);
        Assert.InRange(generic.RowsReadFromJobs, FinishBatch, FinishBatch * 3);
    }

    [Fact]
    public async Task GetJobs_AfterTheTableGrewPastItsStatistics_ReadsOnlyItsJobs()
    {
        await using var connection = await OpenAsync();
        var ids = Enumerable.Range(Finished + Queued + 1, ReadBatch).Select(JobId).ToList();
        var parameters = () => new[] { Parameter.Uuids("ids", ids) };
        var cached = await PrepareGenericAsync(connection, "GetJobs", parameters());
        await GrowAsync();

        var (fresh, generic) = await ExplainBothAsync(connection, "GetJobs", cached, parameters());

        Assert.InRange(fresh.RowsReadFromJobs, ReadBatch, ReadBatch);
        Assert.InRange(generic.RowsReadFromJobs, ReadBatch, ReadBatch);
    }

    /// <summary>
    /// Every node's heartbeat looks for lost jobs among the running ones. A job that finishes leaves a dead entry among them
    /// in the status index until vacuum runs: the recovery reads each such entry's row once, marks the entry, and skips it
    /// from then on, rather than reading every dead entry's row at every heartbeat.
    /// </summary>
    [Fact]
    public async Task RecoverJobsOfLostNodes_AfterRunningJobsFinishedSinceTheLastVacuum_ReadsTheirRowsOnce()
    {
        await using var connection = await OpenAsync();
        const int first = Finished + 1, started = 20_000, stillRunning = 100;
        await RunAsync(connection, WideRunning(first, first + started - 1));
        await RunAsync(connection, string.Create(
            CultureInfo.InvariantCulture,
            $"UPDATE longjobs.jobs SET status = 'Succeeded', completed_at = started_at WHERE status = 'Running' AND id < '{JobId(first + started - stillRunning)}'"));
        var parameters = () => new[]
        {
            Parameter.Timestamp("now", Now), new NpgsqlParameter("start_grace", NpgsqlDbType.Interval) { Value = TimeSpan.FromMinutes(1) },
            new NpgsqlParameter("error", NpgsqlDbType.Json) { Value = "{\"type\":\"urn:test\",\"title\":\"Lost.\"}" },
        };

        var firstHeartbeat = await ExplainNowAsync(connection, "RecoverJobsOfLostNodes", parameters(), buffers: true);
        var nextHeartbeat = await ExplainNowAsync(connection, "RecoverJobsOfLostNodes", parameters(), buffers: true);
        output.WriteLine($"First heartbeat: {firstHeartbeat}, {firstHeartbeat.BlocksReadFromJobs} pages");
        output.WriteLine($"Next heartbeat: {nextHeartbeat}, {nextHeartbeat.BlocksReadFromJobs} pages");

        Assert.DoesNotContain(firstHeartbeat.ScansOfJobs, scan => scan.StartsWith("Bitmap", StringComparison.Ordinal));
        Assert.InRange(nextHeartbeat.RowsReadFromJobs, 0, stillRunning);
        Assert.InRange(nextHeartbeat.BlocksReadFromJobs, 0, firstHeartbeat.BlocksReadFromJobs / 4);
    }

    private static Guid JobId(int i) => Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"00000000-0000-7000-8000-{i:x12}"));

    /// <summary>Jobs <paramref name="first"/> to <paramref name="last"/> of kind 'report' in <paramref name="status"/>, oldest first.</summary>
    private static string Insert(int first, int last, string status) => string.Create(CultureInfo.InvariantCulture, $"""
        INSERT INTO longjobs.jobs (id, kind, status, created_at, started_at, completed_at, request, attempt, node, claim_at)
        SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'report', '{status}', at,
               CASE WHEN '{status}' <> 'Queued' THEN at END, CASE WHEN '{status}' = 'Succeeded' THEN at END,
               json_build_object('n', i), CASE WHEN '{status}' = 'Queued' THEN 0 ELSE 1 END, 'node-1', at
        FROM generate_series({first}, {last}) AS i, LATERAL (SELECT timestamptz '2030-01-01 11:00:00+00' + i * interval '10 ms' AS at) AS job
        """);

    /// <summary>
    /// Running jobs <paramref name="first"/> to <paramref name="last"/> under a lease that has not run out, each with a
    /// request of about 500 bytes (a dozen rows a page), so that reading their rows costs far more pages than their entries.
    /// </summary>
    private static string WideRunning(int first, int last) => string.Create(CultureInfo.InvariantCulture, $"""
        INSERT INTO longjobs.jobs (id, kind, status, created_at, started_at, request, attempt, node, lease_expires_at)
        SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'report', 'Running', at, at,
               json_build_object('n', i, 'notes', repeat('x', 500)), 1, 'node-1', timestamptz '2030-01-01 12:00:30+00'
        FROM generate_series({first}, {last}) AS i, LATERAL (SELECT timestamptz '2030-01-01 11:00:00+00' + i * interval '10 ms' AS at) AS job
        """);

    /// <summary>
    /// The plan made now for these values, run once under <c>EXPLAIN ANALYZE</c> (with <c>BUFFERS</c> when
    /// <paramref name="buffers"/>) after its script's settings, in a transaction rolled back.
    /// </summary>
    private async Task<QueryPlan> ExplainNowAsync(NpgsqlConnection connection, string statement, NpgsqlParameter[] parameters, bool buffers = false)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await SetUpAsync(connection, statement, generic: false);
        await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, {(buffers ? "BUFFERS, " : "")}FORMAT JSON)\n{Statements(statement)[^1]}", connection);
        explain.Parameters.AddRange(parameters);
        var plan = QueryPlan.Parse((string)(await explain.ExecuteScalarAsync())!);
        await transaction.RollbackAsync();
        return plan;
    }

    /// <summary>The queue and the running jobs arrive after the statistics and the cached plans.</summary>
    private async Task GrowAsync()
    {
        await using var connection = await OpenAsync();
        await RunAsync(connection, Insert(Finished + 1, Finished + Queued, "Queued"));
        await RunAsync(connection, Insert(Finished + Queued + 1, Finished + Queued + Running, "Running"));
    }

    /// <summary>
    /// Prepares the statement and has PostgreSQL make and keep its generic plan now, with the settings the store's script
    /// gives its transaction (in a transaction rolled back).
    /// </summary>
    private async Task<PreparedInSql> PrepareGenericAsync(NpgsqlConnection connection, string statement, NpgsqlParameter[] parameters)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await SetUpAsync(connection, statement, generic: true);
        var prepared = await PreparedInSql.PrepareAsync(connection, "cached", Statements(statement)[^1], parameters);
        await prepared.ExplainAsync(connection, parameters);
        await transaction.RollbackAsync();
        return prepared;
    }

    /// <summary>The plan made now for these values, and the generic plan kept from before, each run once in a transaction rolled back.</summary>
    private async Task<(QueryPlan Fresh, QueryPlan Generic)> ExplainBothAsync(NpgsqlConnection connection, string statement, PreparedInSql cached, NpgsqlParameter[] parameters)
    {
        var fresh = await ExplainNowAsync(connection, statement, parameters);
        QueryPlan generic;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SetUpAsync(connection, statement, generic: true);
            generic = await cached.ExplainAsync(connection, parameters);
            await transaction.RollbackAsync();
        }

        output.WriteLine($"{statement}, planned now: {fresh}");
        output.WriteLine($"{statement}, generic plan kept from the small table: {generic}");
        return (fresh, generic);
    }

    /// <summary>Runs the statements that precede the script's last (its settings for the transaction); and has prepared statements use their generic plan.</summary>
    private async Task SetUpAsync(NpgsqlConnection connection, string statement, bool generic)
    {
        foreach (var setUp in Statements(statement)[..^1])
        {
            await RunAsync(connection, setUp);
        }

        if (generic)
        {
            await RunAsync(connection, "SET LOCAL plan_cache_mode = force_generic_plan");
        }
    }

    private string[] Statements(string statement) => _sql[statement].Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync();
    }
}
