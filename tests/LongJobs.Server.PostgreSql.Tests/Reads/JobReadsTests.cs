using System.Diagnostics;
using System.Text.Json;
using LongJobs.Server.PostgreSql.Reads;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Reads;

/// <summary>
/// Reads by ID on PostgreSQL (<see cref="JobReads"/>): reads made while a statement runs go together in the next, each
/// answered with its own job, or none.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobReadsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N");
    private PostgreSqlJobStore? _store;

    [Fact]
    public async Task ReadsMadeWhileOneRuns_GoInOneStatement_EachAnsweredWithItsJob()
    {
        var store = Store;
        var jobs = await store.InsertManyAsync([Job(0), Job(1), Job(2)]);
        var missing = Guid.CreateVersion7(T0);
        using var statements = new StatementsOf(_schema);

        // The table locked: the first read's statement waits in the database, and the reads made meanwhile wait for it.
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var locking = await dataSource.OpenConnectionAsync();
        await using var transaction = await locking.BeginTransactionAsync();
        await Execute(locking, $"LOCK TABLE {_schema}.jobs IN ACCESS EXCLUSIVE MODE");
        var first = store.GetAsync(jobs[0].Id).AsTask();
        await WaitForBlockedReadAsync(dataSource);
        Guid[] meanwhile = [jobs[1].Id, jobs[2].Id, missing, jobs[0].Id, jobs[2].Id];
        var later = meanwhile.Select(id => store.GetAsync(id).AsTask()).ToList();
        await transaction.CommitAsync();

        Assert.Equal(Json(jobs[0]), Json(await first));
        Assert.Equal([Json(jobs[1]), Json(jobs[2]), Json(null), Json(jobs[0]), Json(jobs[2])], await Task.WhenAll(later.Select(async read => Json(await read))));

        // Six reads, three statements: the first alone; then every read made meanwhile, but the second read of one job,
        // which goes in the next.
        Assert.Equal(3, statements.Count);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private PostgreSqlJobStore Store => _store ??= new PostgreSqlJobStore(
        Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = server.ConnectionString, Schema = _schema }),
        TimeProvider.System,
        NullLogger<PostgreSqlJobStore>.Instance);

    private static JobRecord Job(int n) => new() { Id = Guid.CreateVersion7(T0.AddTicks(n * 10)), Kind = "k", CreatedAt = T0.AddTicks(n * 10) };

    private static string Json(JobRecord? job) => JsonSerializer.Serialize(job);

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until a session reading the schema's jobs waits for a lock.</summary>
    private async Task WaitForBlockedReadAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, @statement) > 0");
        command.Parameters.AddWithValue("statement", ReadById(_schema));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // fails, not hangs, if the read never comes
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Yield();
        }
    }

    /// <summary>What the statement that reads jobs by ID says, in <paramref name="schema"/>.</summary>
    private static string ReadById(string schema) => $"\"{schema}\".jobs WHERE id = ANY";

    /// <summary>Counts, from Npgsql's tracing, the statements that read the schema's jobs by ID.</summary>
    private sealed class StatementsOf : IDisposable
    {
        private readonly ActivityListener _listener;
        private int _count;

        public StatementsOf(string schema)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.TagObjects.Any(tag => tag.Value is string text && text.Contains(ReadById(schema), StringComparison.Ordinal)))
                    {
                        Interlocked.Increment(ref _count);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
