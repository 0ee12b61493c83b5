using System.Threading.Channels;
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

    private PostgreSqlJobStore CreateStore(string schema, ILogger<PostgreSqlJobStore> logger)
    {
        var store = new PostgreSqlJobStore(
            Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = server.ConnectionString, Schema = schema }),
            TimeProvider.System,
            logger);
        _stores.Add(store);
        return store;
    }

    /// <summary>Ends the server session that listens on the schema's channel, as a restart or a network failure would.</summary>
    private async Task<int> TerminateListenerAsync(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = @listen");
        command.Parameters.AddWithValue("listen", $"LISTEN \"{schema}_job_changes\"");
        await using var reader = await command.ExecuteReaderAsync();
        var terminated = 0;
        while (await reader.ReadAsync())
        {
            terminated += reader.GetBoolean(0) ? 1 : 0;
        }

        return terminated;
    }
}
