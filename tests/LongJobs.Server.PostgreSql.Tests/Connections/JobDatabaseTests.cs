using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Connections;

/// <summary>
/// Store calls whose connection fails: they run again when that is safe (a connection attempt that timed out, a
/// statement the server rejected, a repeatable statement whose answer was lost), never when the outcome is unknown
/// and a repeat could do it twice, and the pool's other connections stay open.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobDatabaseTests(PostgreSqlServer server) : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly RecordedLogs _logs = new();
    private readonly ILoggerFactory _loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Debug));
    private string _database = string.Empty;

    public async Task InitializeAsync()
    {
        _loggers.AddProvider(_logs);
        _database = await server.CreateDatabaseAsync();
    }

    [Fact]
    public async Task AStartWhoseConnectionAttemptTimesOut_RunsAgain_AndStoresTheJobOnce()
    {
        var proxy = Proxy();
        var store = await CreateMigratedStoreAsync(Unpooled(proxy.Through(_database)));
        var before = proxy.Connections;

        // As on a loaded machine: the server does not answer the first connection attempt in time.
        proxy.HoldNextConnections(1);
        var job = await store.InsertAsync(NewJob());

        // At least one repetition: on a loaded machine the next attempts may miss the one-second connect timeout too,
        // and run again while the retry timeout lasts (and Npgsql may open a connection more than the store's attempts).
        var repetitions = _logs.Entries.Count(entry => entry.EventId == JobDatabase.RetryingEvent);
        Assert.True(repetitions >= 1, $"The call did not run again ({proxy.Connections - before} connections). The store logged:\n{string.Join('\n', _logs.Entries.Select(entry => $"{entry.EventId}: {entry.Message}"))}");
        Assert.True(proxy.Connections >= before + repetitions + 1, $"{proxy.Connections - before} connections for {repetitions + 1} attempts.");
        Assert.Equal(1, await CountJobsAsync(job.Id));
    }

    [Fact]
    public async Task AStoreThatGetsNoConnection_IsUnavailable_OnlyAfterItsRetryTimeout()
    {
        var proxy = Proxy();
        var retryTimeout = TimeSpan.FromSeconds(3);
        var store = await CreateMigratedStoreAsync(options =>
        {
            options.ConnectionString = Unpooled(proxy.Through(_database));
            options.RetryTimeout = retryTimeout;
        });
        var before = proxy.Connections;
        proxy.HoldNextConnections(int.MaxValue);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var unavailable = await Assert.ThrowsAsync<JobStoreUnavailableException>(async () => await store.InsertAsync(NewJob()));

        // No attempt got a connection: the job was certainly not stored.
        Assert.False(unavailable.MayHaveChanged);

        // Each attempt waits out its one-second connect timeout; the call tries for its whole retry timeout.
        Assert.True(clock.Elapsed >= retryTimeout, $"Unavailable after {clock.Elapsed}, before the retry timeout of {retryTimeout}.");
        var retries = _logs.Entries.Count(entry => entry.EventId == JobDatabase.RetryingEvent);
        Assert.True(retries >= StoreRetry.MinRetryAttempts, $"{retries} repetitions.");
        Assert.True(proxy.Connections >= before + retries + 1, $"{proxy.Connections - before} connections for {retries + 1} attempts.");
        Assert.Equal(0, await CountJobsAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("key-1")]
    public async Task AnInsertWhoseAnswerWasLost_RunsAgain_AndReturnsTheOneJobItStored(string? idempotencyKey)
    {
        var proxy = Proxy();
        var store = await CreateMigratedStoreAsync(Unpooled(proxy.Through(_database)));
        var job = NewJob() with { IdempotencyKey = idempotencyKey, Owner = "alice" };

        // The insert commits, then the connection breaks before its answer arrives.
        proxy.LoseAnswerTo("INSERT INTO");
        var stored = await store.InsertAsync(job);

        Assert.True(proxy.AnswerLost.IsCompleted);
        Assert.Equal((job.Id, job.Kind, "alice", idempotencyKey), (stored.Id, stored.Kind, stored.Owner, stored.IdempotencyKey));
        Assert.Equal(1, await CountJobsAsync());
    }

    [Fact]
    public async Task AnInsertWithTheIdOfAnotherJob_StillFails()
    {
        var store = await CreateMigratedStoreAsync(_database);
        var job = await store.InsertAsync(NewJob());

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.InsertAsync(NewJob() with { Id = job.Id, Kind = "other" }));
    }

    [Fact]
    public async Task AFinishWhoseAnswerWasLost_DoesNotRunAgain_AndReportsTheStoreUnavailable()
    {
        var proxy = Proxy();
        var store = await CreateMigratedStoreAsync(Unpooled(proxy.Through(_database)));
        var job = await store.TryStartAsync((await store.InsertAsync(NewJob())).Id, T0);
        var before = proxy.Connections;

        // Only the finish sets a result: its statement runs, and its answer is lost.
        proxy.LoseAnswerTo("result = ");
        var unavailable = await Assert.ThrowsAsync<JobStoreUnavailableException>(async () =>
            await store.TryFinishAsync(job!.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Succeeded, T0.AddSeconds(1))));
        Assert.True(unavailable.MayHaveChanged);

        // Run once, not twice: a repeat would have found the job finished and answered "not in that status".
        Assert.Equal(before + 1, proxy.Connections);
        Assert.Equal(JobStatus.Succeeded, (await store.GetAsync(job!.Id))!.Status);
    }

    [Fact]
    public async Task AFinishRejectedForALockTimeout_RunsAgain_AndSucceedsOnceTheLockIsFree()
    {
        var store = await CreateMigratedStoreAsync(WithLockTimeout(_database));
        var job = await store.TryStartAsync((await store.InsertAsync(NewJob())).Id, T0);
        await using var other = await OpenAsync(_database);
        await using var holding = await other.BeginTransactionAsync();
        await LockJobAsync(other, job!.Id);

        var finishing = store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Succeeded, T0.AddSeconds(1))).AsTask();
        await _logs.WaitForAsync(JobDatabase.RetryingEvent);
        await holding.CommitAsync();

        Assert.Equal(JobStatus.Succeeded, (await finishing.WithSafetyTimeout())!.Status);
    }

    [Fact]
    public async Task ATransientErrorOfOneStatement_LeavesThePoolsOtherConnectionsOpen()
    {
        // The application's own pool, with a lock timeout so that a locked row fails a statement at once.
        var dataSource = NpgsqlDataSource.Create(WithLockTimeout(_database));
        _disposables.Add(dataSource);
        var store = await CreateMigratedStoreAsync(options => options.DataSource = dataSource);
        var job = await store.TryStartAsync((await store.InsertAsync(NewJob())).Id, T0);
        var before = await BackendsOfThePoolAsync(dataSource);
        await using var other = await OpenAsync(_database);
        await using (var holding = await other.BeginTransactionAsync())
        {
            await LockJobAsync(other, job!.Id);

            await Assert.ThrowsAsync<JobStoreUnavailableException>(async () =>
                await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Succeeded, T0.AddSeconds(1))));
        }

        // The same sessions serve on: no pool-wide clear closed them.
        Assert.Equal(before, await BackendsOfThePoolAsync(dataSource));
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _loggers.Dispose();
        _logs.Dispose();
    }

    private FaultyProxy Proxy()
    {
        var proxy = new FaultyProxy(_database);
        _disposables.Add(proxy);
        return proxy;
    }

    /// <summary>Every call opens a connection through the proxy: a held or broken one is never taken from a pool.</summary>
    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 1, MaxAutoPrepare = 0 }.ConnectionString;

    private static string WithLockTimeout(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c lock_timeout=100" }.ConnectionString;

    private Task<PostgreSqlJobStore> CreateMigratedStoreAsync(string connectionString) =>
        CreateMigratedStoreAsync(options => options.ConnectionString = connectionString);

    private async Task<PostgreSqlJobStore> CreateMigratedStoreAsync(Action<PostgreSqlJobStoreOptions> configure)
    {
        var options = new PostgreSqlJobStoreOptions { NodeName = "node-a" };
        configure(options);
        var store = new PostgreSqlJobStore(Options.Create(options), TimeProvider.System, _loggers.CreateLogger<PostgreSqlJobStore>());
        _disposables.Add(store);
        await store.MigrateAsync();
        return store;
    }

    private static JobRecord NewJob() => new() { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = T0 };

    private async Task<long> CountJobsAsync(Guid? id = null)
    {
        await using var connection = await OpenAsync(_database);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM longjobs.jobs WHERE @id::uuid IS NULL OR id = @id", connection);
        command.Parameters.Add(new NpgsqlParameter("id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = id is { } value ? value : DBNull.Value });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task LockJobAsync(NpgsqlConnection connection, Guid id)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM longjobs.jobs WHERE id = @id FOR UPDATE", connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteScalarAsync();
    }

    /// <summary>The server sessions behind three connections the pool hands out at once.</summary>
    private static async Task<string> BackendsOfThePoolAsync(NpgsqlDataSource dataSource)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => dataSource.OpenConnectionAsync().AsTask()));
        var backends = new List<int>();
        foreach (var connection in connections)
        {
            backends.Add(connection.ProcessID);
            await connection.DisposeAsync();
        }

        return string.Join(",", backends.Order());
    }
}
