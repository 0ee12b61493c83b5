using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Migrations;

/// <summary>The schema is migrated as the host starts; statements afterwards never look at migrations again.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class SchemaMigratorTests(PostgreSqlServer server)
{
    [Fact]
    public async Task Statements_AfterTheSchemaWasMigrated_DoNotWaitForTheMigrationLock()
    {
        var database = await server.CreateDatabaseAsync();
        await using var store = Store(database);
        await store.MigrateAsync();

        // Another node holds the migration lock for as long as this test runs: a migration now would wait for it.
        await using var otherNode = new NpgsqlConnection(database);
        await otherNode.OpenAsync();
        await using (var takeLock = new NpgsqlCommand($"SELECT pg_advisory_lock({SqlScripts.AdvisoryLockClass}, hashtext('migrate:longjobs'))", otherNode))
        {
            await takeLock.ExecuteScalarAsync();
        }

        var job = await store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = DateTimeOffset.UtcNow }).WithSafetyTimeout();
        var read = await store.GetAsync(job.Id).WithSafetyTimeout();
        await store.MigrateAsync().WithSafetyTimeout();

        Assert.Equal(JobStatus.Queued, read!.Status);
    }

    [Fact]
    public async Task AscendingIndexes_BuiltBeforehandConcurrently_AreKept_AndOneLeftInvalidIsBuiltAgain()
    {
        var database = await server.CreateDatabaseAsync();
        await using var store = Store(database);
        await store.MigrateAsync();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await ExecuteAsync(connection, "INSERT INTO longjobs.jobs (id, kind, status, created_at) VALUES (gen_random_uuid(), 'k', 'Queued', now()), (gen_random_uuid(), 'k', 'Queued', now())");

        // The schema as migration 021 left it, and an operator who built two of the new indexes, one of them in vain
        // (a unique build over duplicates fails, and leaves its index invalid).
        await ExecuteAsync(connection, """
            DELETE FROM longjobs.schema_migrations WHERE version = 22;
            DROP INDEX longjobs.jobs_created_idx, longjobs.jobs_status_created_idx, longjobs.jobs_kind_created_idx, longjobs.jobs_owner_created_idx, longjobs.jobs_completed_idx;
            CREATE INDEX jobs_created_at_idx ON longjobs.jobs (created_at DESC, id DESC);
            CREATE INDEX jobs_status_created_at_idx ON longjobs.jobs (status, created_at DESC, id DESC);
            CREATE INDEX jobs_kind_created_at_idx ON longjobs.jobs (kind, created_at DESC, id DESC);
            CREATE INDEX jobs_owner_created_at_idx ON longjobs.jobs (owner, created_at DESC, id DESC);
            CREATE INDEX jobs_finished_idx ON longjobs.jobs (completed_at DESC, id DESC) WHERE status IN ('Succeeded', 'Failed', 'Canceled');
            CREATE INDEX jobs_running_idx ON longjobs.jobs (started_at) WHERE status = 'Running';
            """);
        await ExecuteAsync(connection, "CREATE INDEX CONCURRENTLY jobs_created_idx ON longjobs.jobs (created_at, id)");
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, "CREATE UNIQUE INDEX CONCURRENTLY jobs_completed_idx ON longjobs.jobs (kind)"));
        var builtBeforehand = await IndexesAsync(connection);
        Assert.False(builtBeforehand["jobs_completed_idx"].Valid);

        await using (var upgraded = Store(database))
        {
            await upgraded.MigrateAsync();
        }

        var indexes = await IndexesAsync(connection);
        Assert.Equal(
            ["jobs_claim_idx", "jobs_completed_idx", "jobs_created_idx", "jobs_idempotency_key_owner_idx", "jobs_kind_created_idx", "jobs_outbox_idx", "jobs_owner_created_idx", "jobs_pkey", "jobs_queued_ad_hoc_idx", "jobs_scheduled_idx", "jobs_status_created_idx", "jobs_unique_key_idx"],
            indexes.Keys.Order());
        Assert.All(indexes.Values, index => Assert.True(index.Valid));
        Assert.Equal(builtBeforehand["jobs_created_idx"].Oid, indexes["jobs_created_idx"].Oid);
        Assert.Contains("(completed_at, id) WHERE", indexes["jobs_completed_idx"].Definition, StringComparison.Ordinal);
    }

    private static PostgreSqlJobStore Store(string database) =>
        new(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = database }), TimeProvider.System, NullLogger<PostgreSqlJobStore>.Instance);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The jobs table's indexes by name: each one's OID, whether it is valid, and its definition.</summary>
    private static async Task<Dictionary<string, (uint Oid, bool Valid, string Definition)>> IndexesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.relname, c.oid, i.indisvalid, pg_get_indexdef(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'longjobs.jobs'::regclass",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var indexes = new Dictionary<string, (uint, bool, string)>();
        while (await reader.ReadAsync())
        {
            indexes[reader.GetString(0)] = (reader.GetFieldValue<uint>(1), reader.GetBoolean(2), reader.GetString(3));
        }

        return indexes;
    }
}
