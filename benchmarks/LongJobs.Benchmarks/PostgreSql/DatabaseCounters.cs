using System.Diagnostics;
using Npgsql;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// What the database counts of the work done in it: commits (<c>pg_stat_database.xact_commit</c> of one database, every
/// transaction in it, reads included), writing transactions (transaction IDs assigned in the cluster: only a transaction
/// that writes takes one, and only its commit waits for the WAL flush) and WAL bytes (the cluster's WAL insert position).
/// Read before and after a run; <see cref="Since"/> gives the run's share.
/// </summary>
internal readonly record struct DatabaseCounters(long Commits, long WritingTransactions, long WalBytes)
{
    /// <summary>The application name of the sessions a run opens (<see cref="Tag"/>); <see cref="SettledAsync"/> waits for them to end.</summary>
    public const string RunSessions = "longjobs-bench";

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The connection string with <see cref="RunSessions"/> as its application name.</summary>
    public static string Tag(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = RunSessions }.ConnectionString;

    /// <summary>The counters now. A busy session reports its commits at most once a second, so read the end of a run with <see cref="SettledAsync"/>.</summary>
    public static async Task<DatabaseCounters> ReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();

        // The statistics are those of the moment the transaction began: read them in a fresh one, with a fresh snapshot.
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_stat_clear_snapshot(),
                   (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                   pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                   pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DatabaseCounters(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>
    /// The counters once every session of the run (<see cref="RunSessions"/>, and pgbench's) has ended: a session reports
    /// its last commits when it ends. Idle pooled connections are closed first; waits at most 15 s, then reads anyway.
    /// </summary>
    public static async Task<DatabaseCounters> SettledAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var waited = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(Unpooled(connectionString)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name IN (@run, 'pgbench')", connection);
            command.Parameters.AddWithValue("run", RunSessions);
            while ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                if (waited.Elapsed > SettleTimeout)
                {
                    await Console.Error.WriteLineAsync($"Sessions of the run still open after {SettleTimeout.TotalSeconds:F0} s: their last commits may be missing from the counts.");
                    break;
                }

                await Task.Delay(10);
            }
        }

        return await ReadAsync(connectionString);
    }

    /// <summary>The work done between <paramref name="start"/> and these counters.</summary>
    public DatabaseCounters Since(DatabaseCounters start) => new(Commits - start.Commits, WritingTransactions - start.WritingTransactions, WalBytes - start.WalBytes);

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "longjobs-bench-counters" }.ConnectionString;
}
