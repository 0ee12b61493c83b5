using System.Threading.Channels;
using LongJobs.Server.PostgreSql.Changes;
using LongJobs.Server.PostgreSql.Supervision;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Changes;

/// <summary>The change listener's loop is supervised: an error it did not plan for never ends it.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobChangeListenerTests(PostgreSqlServer server) : IAsyncLifetime, IDisposable
{
    private readonly List<PostgreSqlJobStore> _stores = [];
    private readonly RecordedLogs _logs = new();
    private readonly ILoggerFactory _loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Debug));

    public Task InitializeAsync()
    {
        _loggers.AddProvider(_logs);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AWatcherThatThrows_AsTheListenerReconnects_DoesNotEndTheListening()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        var nodeA = CreateStore(schema, _loggers.CreateLogger<PostgreSqlJobStore>());
        var nodeB = CreateStore(schema, NullLogger<PostgreSqlJobStore>.Instance);
        await nodeA.MigrateAsync();
        var seen = Channel.CreateUnbounded<Guid>();

        // A watcher with a bug: it throws whenever the listener (re)connects.
        using var faulty = nodeA.WatchChanges(id => _ = id == Guid.Empty ? throw new InvalidOperationException("A watcher's bug.") : 0);
        using var good = nodeA.WatchChanges(id => seen.Writer.TryWrite(id));
        await _logs.WaitForAsync(SupervisedLoop.FailedEvent);

        // The listening connection breaks: the listener reconnects, and meets the faulty watcher again.
        Assert.Equal(1, await TerminateListenerAsync(schema));
        await _logs.WaitForAsync(SupervisedLoop.RecoveredEvent);

        var job = await nodeB.InsertAsync(new JobRecord
        {
            Id = Guid.CreateVersion7(),
            Kind = "k",
            CreatedAt = DateTimeOffset.UtcNow,
            Request = System.Text.Json.JsonSerializer.SerializeToElement(new { }),
        });
        await foreach (var id in seen.Reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(SafetyTimeout.Value).Token))
        {
            if (id == job.Id)
            {
                break;
            }
        }

        // The broken connection was no episode of its own: only the watcher's bug was logged above debug level.
        Assert.All(_logs.Entries.Where(entry => entry.Level >= LogLevel.Warning), entry => Assert.IsType<InvalidOperationException>(entry.Exception));
    }

    [Fact]
    public async Task AListenerRefusedForAReasonThatIsNoOutage_KeepsTrying_SaysSoOnce_AndListensAgainOnceAllowed()
    {
        // The store connects as a role of its own; a superuser takes the database's CONNECT right away (42501 as the
        // listener reconnects: a permission error, not an outage), then gives it back.
        var database = await server.CreateDatabaseAsync();
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        var role = "longjobs_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(database, $"CREATE ROLE {role} LOGIN; GRANT CREATE ON DATABASE \"{name}\" TO {role}");
        var store = CreateStore(new NpgsqlConnectionStringBuilder(database) { Username = role }.ConnectionString, "longjobs", _loggers.CreateLogger<PostgreSqlJobStore>());
        var writer = CreateStore(database, "longjobs", NullLogger<PostgreSqlJobStore>.Instance);
        await store.MigrateAsync();
        var seen = Channel.CreateUnbounded<Guid>();
        using var watch = store.WatchChanges(id => seen.Writer.TryWrite(id));
        await ReadUntilAsync(seen, Guid.Empty); // listening

        await ExecuteAsync(database, $"REVOKE CONNECT ON DATABASE \"{name}\" FROM PUBLIC; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");
        var failed = await _logs.WaitForAsync(SupervisedLoop.FailedEvent);
        await ExecuteAsync(database, $"GRANT CONNECT ON DATABASE \"{name}\" TO PUBLIC");
        var recovered = await _logs.WaitForAsync(SupervisedLoop.RecoveredEvent);
        var job = await writer.InsertAsync(new JobRecord
        {
            Id = Guid.CreateVersion7(),
            Kind = "k",
            CreatedAt = DateTimeOffset.UtcNow,
            Request = System.Text.Json.JsonSerializer.SerializeToElement(new { }),
        });
        await ReadUntilAsync(seen, job.Id);

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(failed.Exception).SqlState);
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.StartsWith("Listening for job changes on channel longjobs_job_changes failed unexpectedly.", failed.Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Information, recovered.Level);
        Assert.Single(_logs.Entries, entry => entry.Level >= LogLevel.Warning);
        Assert.False(store.Availability.IsOut);
    }

    [Fact]
    public async Task InsertsTracked_UpToTheLimit_AndAgainOnceForgottenOrAfterAReconnect()
    {
        var channel = "t_" + Guid.NewGuid().ToString("N") + "_job_changes";
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var listener = new JobChangeListener(dataSource, channel, TimeProvider.System, new(NullLogger.Instance, TimeProvider.System), NullLogger.Instance);
        await listener.NextQueued().WaitAsync(SafetyTimeout.Value); // listening

        var ids = Enumerable.Range(0, KnownStates.MaxTracked + 1).Select(_ => Guid.CreateVersion7()).ToList();
        ids.ForEach(listener.KnownStates.Expect);
        Assert.True(listener.KnownStates.IsUnchangedSince(ids[^2], 0));
        Assert.False(listener.KnownStates.IsUnchangedSince(ids[^1], 0)); // one too many

        listener.KnownStates.Forget(ids[0]);
        listener.KnownStates.Expect(ids[^1]);
        Assert.True(listener.KnownStates.IsUnchangedSince(ids[^1], 0));

        // The listening connection breaks: what it tracked is forgotten, and the next one has the whole room again.
        Assert.Equal(1, await TerminateListenerOfAsync(channel));
        await WhenAsync(listener, () => !listener.KnownStates.IsUnchangedSince(ids[^2], 0));
        await WhenAsync(listener, () =>
        {
            var probe = Guid.CreateVersion7();
            listener.KnownStates.Expect(probe);
            var tracked = listener.KnownStates.IsUnchangedSince(probe, 0);
            listener.KnownStates.Forget(probe);
            return tracked;
        });

        ids.ForEach(listener.KnownStates.Expect);
        Assert.True(listener.KnownStates.IsUnchangedSince(ids[^2], 0));
        Assert.False(listener.KnownStates.IsUnchangedSince(ids[^1], 0));
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _loggers.Dispose();
        _logs.Dispose();
    }

    private PostgreSqlJobStore CreateStore(string schema, ILogger<PostgreSqlJobStore> logger) => CreateStore(server.ConnectionString, schema, logger);

    private PostgreSqlJobStore CreateStore(string connectionString, string schema, ILogger<PostgreSqlJobStore> logger)
    {
        var store = new PostgreSqlJobStore(
            Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = connectionString, Schema = schema }),
            TimeProvider.System,
            logger);
        _stores.Add(store);
        return store;
    }

    /// <summary>Returns once <paramref name="condition"/> holds, checking it again whenever the listener wakes its queue's waiters (as it stops or starts listening).</summary>
    private static async Task WhenAsync(JobChangeListener listener, Func<bool> condition)
    {
        while (true)
        {
            var woken = listener.NextQueued();
            if (condition())
            {
                return;
            }

            await woken.WaitAsync(SafetyTimeout.Value);
        }
    }

    private static async Task ReadUntilAsync(Channel<Guid> seen, Guid expected)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        await foreach (var id in seen.Reader.ReadAllAsync(timeout.Token))
        {
            if (id == expected)
            {
                return;
            }
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Ends the server session that listens on the schema's channel, as a restart or a network failure would.</summary>
    private Task<int> TerminateListenerAsync(string schema) => TerminateListenerOfAsync($"{schema}_job_changes");

    /// <summary>Ends the server session that listens on <paramref name="channel"/>.</summary>
    private async Task<int> TerminateListenerOfAsync(string channel)
    {
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = @listen");
        command.Parameters.AddWithValue("listen", $"LISTEN \"{channel}\"");
        await using var reader = await command.ExecuteReaderAsync();
        var terminated = 0;
        while (await reader.ReadAsync())
        {
            terminated += reader.GetBoolean(0) ? 1 : 0;
        }

        return terminated;
    }
}
