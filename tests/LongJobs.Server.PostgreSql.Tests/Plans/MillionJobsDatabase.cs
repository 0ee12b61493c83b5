using System.Diagnostics;
using System.Globalization;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Plans;

/// <summary>
/// A migrated database whose jobs table looks like a busy deployment's: a million finished jobs over 30 days, a thousand
/// finished jobs in the outbox, running jobs on four nodes (a few of them lost), ad-hoc jobs waiting in their nodes'
/// queues and a queue of claimable jobs; analyzed and vacuumed, as autovacuum would leave it. Created once per test
/// class (a class fixture). Job <c>i</c> (from 1, oldest first) has the ID <see cref="JobId"/>(i), time-ordered like
/// the version 7 IDs the server gives.
/// </summary>
public sealed class MillionJobsDatabase(PostgreSqlServer server) : IAsyncLifetime
{
    /// <summary>Finished jobs outside the outbox: jobs 1 to this.</summary>
    public const int Finished = 1_000_000;

    /// <summary>Finished jobs whose webhooks are due, after the finished ones.</summary>
    public const int InOutbox = 1_000;

    /// <summary>Running jobs, on nodes <c>node-0</c> to <c>node-3</c>; every hundredth one's lease has run out.</summary>
    public const int Running = 2_000;

    /// <summary>Ad-hoc jobs (no request) waiting in their node's queue under a lease.</summary>
    public const int AdHocQueued = 100;

    /// <summary>Claimable jobs in the queue.</summary>
    public const int Queued = 10_000;

    /// <summary>Jobs started for later, the newest jobs of all: the first half due before <see cref="Now"/>, one a second, the rest after it.</summary>
    public const int Scheduled = 10_000;

    /// <summary>The first job of each group.</summary>
    public const int FirstInOutbox = Finished + 1, FirstRunning = FirstInOutbox + InOutbox, FirstAdHocQueued = FirstRunning + Running,
        FirstQueued = FirstAdHocQueued + AdHocQueued, FirstScheduled = FirstQueued + Queued, Total = FirstScheduled + Scheduled - 1;

    /// <summary>The owner of one job in 100,003: a user with ten jobs among a million.</summary>
    public const string RareOwner = "user-rare";

    /// <summary>The kind of one job in 10,000.</summary>
    public const string RareKind = "audit";

    /// <summary>The moment the data describes: the newest job was created then, and live leases run past it.</summary>
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The statements, as the store loads them, for the default schema.</summary>
    internal SqlScripts Sql { get; } = new("longjobs");

    /// <summary>The database's connection string.</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>How long filling, indexing and vacuuming the table took.</summary>
    public TimeSpan FillTime { get; private set; }

    /// <summary>The ID of job <paramref name="i"/>.</summary>
    public static Guid JobId(int i) => Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"00000000-0000-7000-8000-{i:x12}"));

    /// <summary>Migrates a new database as a node does, then fills the table.</summary>
    public async Task InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync();
        await using (var store = new PostgreSqlJobStore(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = ConnectionString }), TimeProvider.System, NullLogger<PostgreSqlJobStore>.Instance))
        {
            await store.MigrateAsync();
        }

        var stopwatch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var fill = new NpgsqlCommand(FillSql, connection) { CommandTimeout = 600 };
        fill.Parameters.Add(Parameter.Timestamp("now", Now));
        await fill.ExecuteNonQueryAsync();
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE longjobs.jobs", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync();
        FillTime = stopwatch.Elapsed;
    }

    /// <summary>Nothing: the server drops its databases with its cluster.</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// One INSERT ... SELECT of every row, the indexes but the primary key dropped first and built again after from
    /// their own definitions (a bulk build is several times faster than a million inserts into ten indexes).
    /// </summary>
    private static string FillSql => string.Create(CultureInfo.InvariantCulture, $$"""
        CREATE TEMPORARY TABLE saved_indexes AS
            SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'longjobs' AND tablename = 'jobs' AND indexname <> 'jobs_pkey';
        DO $$ DECLARE saved record; BEGIN
            FOR saved IN SELECT indexname FROM saved_indexes LOOP EXECUTE format('DROP INDEX longjobs.%I', saved.indexname); END LOOP;
        END $$;

        INSERT INTO longjobs.jobs (id, kind, status, progress, created_at, started_at, completed_at, request, result, error, version,
                                   idempotency_key, node, lease_expires_at, attempt, max_attempts, heartbeat_at, owner, notifications, trace_parent, not_before, unique_key, priority, claim_at)
        SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
               CASE WHEN i % 10000 = 7 THEN '{{RareKind}}' ELSE (ARRAY['report', 'export', 'email', 'import', 'resize'])[i % 5 + 1] END,
               job.status,
               CASE job.status WHEN 'Succeeded' THEN 1 WHEN 'Running' THEN 0.5 ELSE 0 END,
               job.created_at,
               CASE WHEN job.status NOT IN ('Queued', 'Scheduled') THEN job.created_at + interval '1 second' END,
               CASE WHEN job.finished THEN job.created_at + (i % 7) * interval '1 minute' END,
               CASE WHEN i NOT BETWEEN {{FirstAdHocQueued}} AND {{FirstQueued - 1}} THEN json_build_object('n', i) END,
               CASE WHEN job.status = 'Succeeded' THEN '{"rows":42}'::json END,
               CASE WHEN job.status = 'Failed' THEN '{"code":"failed","message":"The job failed."}'::json END,
               4,
               CASE WHEN i % 5 = 0 THEN 'key-' || i END,
               CASE WHEN NOT job.finished THEN 'node-' || i % 4 END,
               CASE WHEN job.status = 'Running' AND i % 100 = 0 THEN @now - interval '1 minute'
                    WHEN job.status = 'Running' OR i < {{FirstQueued}} AND job.status = 'Queued' THEN @now + interval '20 seconds' END,
               CASE WHEN i >= {{FirstQueued}} THEN 0 ELSE 1 END,
               3,
               CASE WHEN job.status = 'Running' THEN @now - interval '5 seconds' END,
               CASE WHEN i % 100003 = 0 THEN '{{RareOwner}}' WHEN i % 10 <> 0 THEN 'user-' || i % 97 END,
               CASE WHEN i BETWEEN {{FirstInOutbox}} AND {{FirstRunning - 1}} THEN '{"callbackUrl":"https://example.com/hooks/jobs"}'::jsonb END,
               '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
               CASE WHEN job.status = 'Scheduled' THEN @now + (i - {{FirstScheduled}} - {{Scheduled / 2}}) * interval '1 second' END,
               CASE WHEN i % 3 = 0 THEN 'customer-' || i END,
               job.priority,
               job.created_at - job.priority * interval '1 minute'
        FROM generate_series(1, {{Total}}) AS i,
             LATERAL (SELECT @now - ({{Total}} - i) * interval '2.5 seconds' AS created_at,
                             i < {{FirstRunning}} AS finished,
                             CASE WHEN i < {{FirstRunning}} THEN CASE i % 50 WHEN 0 THEN 'Canceled' WHEN 1 THEN 'Failed' WHEN 2 THEN 'Failed' ELSE 'Succeeded' END
                                  WHEN i < {{FirstAdHocQueued}} THEN 'Running'
                                  WHEN i < {{FirstScheduled}} THEN 'Queued'
                                  ELSE 'Scheduled' END AS status,
                             CASE WHEN i % 7 = 0 THEN 3 ELSE 0 END AS priority) AS job;

        DO $$ DECLARE saved record; BEGIN
            FOR saved IN SELECT indexdef FROM saved_indexes LOOP EXECUTE saved.indexdef; END LOOP;
        END $$;

        INSERT INTO longjobs.job_schedules (name, done_until) VALUES ('nightly-report', @now - interval '1 day');
        """);
}
