using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Retention;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.Conformance;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SafetyTimeout = LongJobs.Server.Tests.Support.SafetyTimeout;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>The store contract on <see cref="PostgreSqlJobStore"/>, plus what only the PostgreSQL store does.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class PostgreSqlJobStoreTests(PostgreSqlServer server) : JobStoreConformanceTests, IAsyncLifetime
{
    private readonly List<PostgreSqlJobStore> _stores = [];

    /// <summary>A store in a schema of its own, so every test starts empty.</summary>
    protected override IJobStore CreateStore() => CreateStore(NewSchema());

    /// <summary>Each step is a round trip to the database: fewer sequences than in memory, still every transition many times.</summary>
    protected override int StateMachineIterations => 40;

    [Fact]
    public async Task Migrate_ByManyStoresAtOnce_AppliesEachMigrationOnce()
    {
        var schema = NewSchema();
        var stores = Enumerable.Range(0, 5).Select(_ => CreateStore(schema)).ToList();

        await Task.WhenAll(stores.Select(store => store.MigrateAsync()));

        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var command = dataSource.CreateCommand($"SELECT count(*), count(DISTINCT version) FROM {schema}.schema_migrations");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.True(reader.GetInt64(0) > 0);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task WaitForChange_SeesAChangeMadeThroughAnotherStoreOnTheSameSchema()
    {
        var schema = NewSchema();
        var nodeA = CreateStore(schema);
        var nodeB = CreateStore(schema);
        var job = await nodeA.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = DateTimeOffset.UtcNow });

        var waiting = nodeB.WaitForChangeAsync(job.Id, job.Version).AsTask();
        var started = await nodeA.TryStartAsync(job.Id, DateTimeOffset.UtcNow);

        var seen = await waiting.WaitAsync(SafetyTimeout.Value);
        Assert.NotNull(seen);
        Assert.Equal(started!.Version, seen.Version);
        Assert.Equal(Jobs.JobStatus.Running, seen.Status);
    }

    [Fact]
    public async Task WaitForChange_OnAQueuedJobInsertedHere_WakesWhenAnotherNodeClaimsIt()
    {
        var schema = NewSchema();
        var nodeA = CreateStore(schema);
        var nodeB = CreateStore(schema);
        await ListeningAsync(nodeA);
        var job = await nodeA.InsertAsync(NewRegisteredJob("k", DateTimeOffset.UtcNow));

        var waiting = nodeA.WaitForChangeAsync(job.Id, job.Version).AsTask();
        var claimed = Assert.Single(await nodeB.ClaimAsync(["k"], 1, DateTimeOffset.UtcNow));

        var seen = await waiting.WaitAsync(SafetyTimeout.Value);
        Assert.Equal(claimed.Version, seen!.Version);
        Assert.Equal(Jobs.JobStatus.Running, seen.Status);
    }

    [Fact]
    public async Task WaitForChange_OnAQueuedJobInsertedHere_SeesAClaimByAnotherNodeBeforeTheWait()
    {
        var schema = NewSchema();
        var nodeA = CreateStore(schema);
        var nodeB = CreateStore(schema);
        await ListeningAsync(nodeA);
        var job = await nodeA.InsertAsync(NewRegisteredJob("k", DateTimeOffset.UtcNow));
        var claimed = Assert.Single(await nodeB.ClaimAsync(["k"], 1, DateTimeOffset.UtcNow));

        // Node A may or may not have heard of the claim yet: either way the wait ends with it.
        var seen = await nodeA.WaitForChangeAsync(job.Id, job.Version).AsTask().WaitAsync(SafetyTimeout.Value);

        Assert.Equal(claimed.Version, seen!.Version);
    }

    [Fact]
    public async Task Insert_AnnouncesClaimableJobsOnly_AsQueuedWithTheirId()
    {
        var (store, _, listener, payloads) = await StoreAndListenerAsync();
        await using var _ = listener;

        var adHoc = await store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "ad-hoc", CreatedAt = DateTimeOffset.UtcNow });
        var registered = await store.InsertAsync(NewRegisteredJob("k", DateTimeOffset.UtcNow));
        await store.TryStartAsync(adHoc.Id, DateTimeOffset.UtcNow);
        while (payloads.Count < 2)
        {
            await listener.WaitAsync(SafetyTimeout.Value);
        }

        // Notifications arrive in commit order: the ad-hoc job's insert sent none, the claimable one's said "queued:" and its ID.
        Assert.Equal(["queued:" + registered.Id, adHoc.Id.ToString()], payloads);
    }

    [Fact]
    public async Task AStatementOfManyJobs_AnnouncesThemInOneNotificationPer200_AndWakesEachWaiter()
    {
        var (store, schema, listener, payloads) = await StoreAndListenerAsync();
        await using var _ = listener;

        var inserted = await store.InsertManyAsync([.. Enumerable.Range(0, 250).Select(i => NewRegisteredJob("k", DateTimeOffset.UtcNow.AddTicks(i * 10)))]);
        var watcher = CreateStore(schema); // another node: it learns of the claim from the notification alone
        var waits = inserted.Take(3).Select(job => watcher.WaitForChangeAsync(job.Id, job.Version).AsTask()).ToList();
        var claimed = await store.ClaimAsync(["k"], 3, DateTimeOffset.UtcNow);
        while (payloads.Count < 3)
        {
            await listener.WaitAsync(SafetyTimeout.Value);
        }

        Assert.Equal(
            ["queued:" + string.Join(',', inserted.Take(200).Select(job => job.Id)), "queued:" + string.Join(',', inserted.Skip(200).Select(job => job.Id))],
            payloads.Take(2));
        Assert.Equal(claimed.Select(job => job.Id).Order(), payloads[2].Split(',').Select(Guid.Parse).Order());
        var seen = await Task.WhenAll(waits).WaitAsync(SafetyTimeout.Value);
        Assert.All(seen, job => Assert.Equal(JobStatus.Running, job!.Status));
    }

    [Fact]
    public async Task EachStatement_AnnouncesWhatItChanged_AndALeaseRenewalNothing()
    {
        var (_, schema, listener, payloads) = await StoreAndListenerAsync();
        await using var _ = listener;
        var (queued, scheduled, adHoc) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());

        // Each statement in a transaction of its own (one transaction would announce a payload once), and plain SQL: the
        // table's triggers announce any statement, the store's or another's.
        string[] statements =
        [
            $"INSERT INTO {schema}.jobs (id, kind, status, created_at, request, not_before) VALUES ('{adHoc}', 'k', 'Queued', now(), NULL, NULL), ('{queued}', 'k', 'Queued', now(), '{{}}', NULL), ('{scheduled}', 'k', 'Scheduled', now(), '{{}}', now() + interval '1 hour')",
            $"UPDATE {schema}.jobs SET status = 'Running', version = version + 1 WHERE id = '{queued}'",
            $"UPDATE {schema}.jobs SET lease_expires_at = now() + interval '1 minute', heartbeat_at = now() WHERE id = '{queued}'",
            $"UPDATE {schema}.jobs SET cancellation_requested = true, version = version + 1 WHERE id IN ('{queued}', '{adHoc}')",
            $"UPDATE {schema}.jobs SET status = 'Queued', version = version + 1 WHERE id = '{queued}'",
            $"DELETE FROM {schema}.jobs WHERE id IN ('{scheduled}', '{adHoc}')",
            $"SELECT pg_notify('{schema}_job_changes', 'end')",
        ];
        foreach (var statement in statements)
        {
            await ExecuteAsync(statement);
        }

        while (payloads.LastOrDefault() != "end")
        {
            await listener.WaitAsync(SafetyTimeout.Value);
        }

        // A payload of several IDs lists them in no set order.
        var announced = payloads.Select(payload => payload.Contains(',', StringComparison.Ordinal) ? string.Join(',', payload.Split(',').Order()) : payload);
        Assert.Equal(
            [
                $"queued:{queued}", $"{scheduled}", "scheduled", // the insert: the claimable job, and the scheduled one
                $"{queued}", // its claim; the lease renewal after it says nothing
                string.Join(',', new[] { queued.ToString(), adHoc.ToString() }.Order()), $"cancel:{queued}", // both changed, the running one is told to stop
                $"{queued}", "queued", // queued again
                string.Join(',', new[] { scheduled.ToString(), adHoc.ToString() }.Order()), // deleted
                "end",
            ],
            announced);
    }

    [Fact]
    public void CreateDataSource_PreparesStatementsAndSkipsSessionResets_UnlessTheConnectionStringSays()
    {
        using var tuned = JobDatabase.CreateDataSource("Host=localhost;Username=u");
        using var chosen = JobDatabase.CreateDataSource("Host=localhost;Username=u;MaxAutoPrepare=0;No Reset On Close=false");

        var tunedSettings = new NpgsqlConnectionStringBuilder(tuned.ConnectionString);
        var chosenSettings = new NpgsqlConnectionStringBuilder(chosen.ConnectionString);
        Assert.Equal(JobDatabase.AutoPreparedStatements, tunedSettings.MaxAutoPrepare);
        Assert.True(tunedSettings.NoResetOnClose);
        Assert.Equal(0, chosenSettings.MaxAutoPrepare);
        Assert.False(chosenSettings.NoResetOnClose);
    }

    [Fact]
    public async Task DeleteFinished_ManyMoreThanABatch_RemovesThemAll()
    {
        var schema = NewSchema();
        var store = CreateStore(schema);
        await store.MigrateAsync();
        var count = (FinishedJobSweep.BatchSize * 2) + 500;
        await ExecuteAsync($"""
            INSERT INTO {schema}.jobs (id, kind, status, created_at, completed_at)
            SELECT gen_random_uuid(), 'k', 'Succeeded', now() - interval '2 hours', now() - interval '1 hour'
            FROM generate_series(1, {count})
            """);

        var removed = await store.DeleteFinishedAsync(DateTimeOffset.UtcNow, keepAtMost: 0);

        Assert.Equal(count, removed);
        Assert.Empty((await store.ListAsync(new JobQuery())).Items);
    }

    [Fact]
    public async Task DeleteFinished_WhileAnotherNodeSweeps_LeavesTheWorkToIt()
    {
        var schema = NewSchema();
        var store = CreateStore(schema);
        var job = await store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = DateTimeOffset.UtcNow });
        await store.TryFinishAsync(job.Id, Jobs.JobStatus.Queued, 0, new JobOutcome(Jobs.JobStatus.Canceled, DateTimeOffset.UtcNow));

        // Another node's session holds the sweep lock.
        await using (var otherNode = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await using var connection = await otherNode.OpenConnectionAsync();
            await using var takeLock = new NpgsqlCommand($"SELECT pg_advisory_lock({SqlScripts.AdvisoryLockClass}, hashtext('sweep:{schema}'))", connection);
            await takeLock.ExecuteScalarAsync();

            Assert.Equal(0, await store.DeleteFinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), keepAtMost: 0));

            // Release explicitly: a closing session gives its locks back only once its backend has exited.
            await using var releaseLock = new NpgsqlCommand($"SELECT pg_advisory_unlock({SqlScripts.AdvisoryLockClass}, hashtext('sweep:{schema}'))", connection);
            await releaseLock.ExecuteScalarAsync();
        }

        Assert.Equal(1, await store.DeleteFinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), keepAtMost: 0));
    }

    [Fact]
    public async Task Schema_ThatIsAnSqlKeyword_Works()
    {
        var store = CreateStore("user");

        var job = await store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = DateTimeOffset.UtcNow });

        Assert.Equal(job.Id, (await store.GetAsync(job.Id))!.Id);
        await ExecuteAsync("DROP SCHEMA \"user\" CASCADE");
    }

    [Theory]
    [InlineData("pg_jobs")]
    [InlineData("Jobs")]
    [InlineData("1jobs")]
    [InlineData("jobs-x")]
    [InlineData("a_schema_name_that_is_longer_than_forty_c")]
    public void Options_WithASchemaNameThatCannotWork_AreInvalid(string schema)
    {
        var options = new PostgreSqlJobStoreOptions { ConnectionString = server.ConnectionString, Schema = schema };

        var result = new Microsoft.Extensions.DependencyInjection.PostgreSqlJobStoreOptionsValidator().Validate(null, options);

        Assert.True(result.Failed, schema);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>
    /// Returns once the store listens for notifications (it tracks the jobs it inserts only while it does): its
    /// queue waiters wake when it starts listening, or when it hears of the claimable job inserted here.
    /// </summary>
    private static async Task ListeningAsync(PostgreSqlJobStore store)
    {
        var listening = store.WaitForQueuedJobsAsync(CancellationToken.None);
        await store.InsertAsync(NewRegisteredJob("warm-up", DateTimeOffset.UtcNow));
        await listening.WaitAsync(SafetyTimeout.Value);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static string NewSchema() => "t_" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// A migrated store in a schema of its own, and a connection of the test's own that listens on the store's channel;
    /// the payloads are collected as they come.
    /// </summary>
    private async Task<(PostgreSqlJobStore Store, string Schema, NpgsqlConnection Listener, List<string> Payloads)> StoreAndListenerAsync()
    {
        var schema = NewSchema();
        var store = CreateStore(schema);
        await store.MigrateAsync();
        var listener = new NpgsqlConnection(server.ConnectionString);
        await listener.OpenAsync();
        var payloads = new List<string>();
        listener.Notification += (_, notification) => payloads.Add(notification.Payload);
        await using var listen = new NpgsqlCommand($"LISTEN \"{schema}_job_changes\"", listener);
        await listen.ExecuteNonQueryAsync();
        return (store, schema, listener, payloads);
    }

    private PostgreSqlJobStore CreateStore(string schema)
    {
        var store = new PostgreSqlJobStore(
            Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = server.ConnectionString, Schema = schema }),
            TimeProvider.System,
            NullLogger<PostgreSqlJobStore>.Instance);
        _stores.Add(store);
        return store;
    }
}
