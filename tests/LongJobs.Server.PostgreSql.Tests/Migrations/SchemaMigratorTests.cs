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
        await using var store = new PostgreSqlJobStore(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = database }), TimeProvider.System, NullLogger<PostgreSqlJobStore>.Instance);
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
}
