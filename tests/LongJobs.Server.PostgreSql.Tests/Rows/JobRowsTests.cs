using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Rows;

/// <summary>The one list of a job snapshot's columns follows the table.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobRowsTests(PostgreSqlServer server)
{
    /// <summary>
    /// The columns nodes keep for their leases of running jobs and of the outbox, and the queue's order (claim_at, derived
    /// from created_at and priority, as JobRecord.ClaimAt is); a snapshot does not show them.
    /// </summary>
    private static readonly string[] BookkeepingColumns = ["node", "lease_expires_at", "heartbeat_at", "notify_at", "notify_claimant", "notify_lease_until", "claim_at"];

    [Fact]
    public async Task Columns_AreEveryColumnOfTheJobsTable_ButTheNodesBookkeeping()
    {
        var database = await server.CreateDatabaseAsync();
        await using (var store = new PostgreSqlJobStore(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = database }), TimeProvider.System, NullLogger<PostgreSqlJobStore>.Instance))
        {
            await store.MigrateAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = 'longjobs' AND table_name = 'jobs'");
        await using var reader = await command.ExecuteReaderAsync();
        var table = new List<string>();
        while (await reader.ReadAsync())
        {
            table.Add(reader.GetString(0));
        }

        Assert.Equal(table.Except(BookkeepingColumns).Order(), JobRows.Columns.Split(", ").Order());
        Assert.Equal(JobRows.Columns.Split(", ").Length, JobRows.ListColumns.Split(", ").Length);
    }
}
