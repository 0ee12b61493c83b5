using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Sql;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Retention;

/// <summary>
/// Removes finished jobs that retention no longer keeps, on one node at a time (the others find the sweep's lock
/// taken and have nothing to do), in small batches that keep each delete's locks and WAL short while the table is in use.
/// </summary>
internal sealed class FinishedJobSweep(JobDatabase database)
{
    /// <summary>How many finished jobs one retention statement removes at most, per reason (expired, beyond the count).</summary>
    internal const int BatchSize = 1000;

    private readonly string _lock = "sweep:" + database.Sql.Schema;

    /// <summary>Removes the jobs finished before <paramref name="finishedBefore"/> and those beyond the newest <paramref name="keepAtMost"/>.</summary>
    /// <returns>How many it removed; 0 when another node is sweeping.</returns>
    public Task<int> DeleteAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken) =>
        database.WithConnectionAsync(
            Repeat.OnlyIfUnsent,
            async (connection, token) =>
            {
                await using (var takeLock = LockCommand("TakeSweepLock", connection))
                {
                    if (!(bool)(await takeLock.ExecuteScalarAsync(token).ConfigureAwait(false))!)
                    {
                        return 0;
                    }
                }

                try
                {
                    // Each statement is a transaction of its own: no lock outlives a batch.
                    var (beyondCompletedAt, beyondId) = await FindBoundaryAsync(connection, keepAtMost, token).ConfigureAwait(false);
                    int removed = 0, batch;
                    do
                    {
                        await using var command = new NpgsqlCommand(database.Sql["DeleteFinishedJobs"], connection);
                        command.Parameters.Add(Parameter.Timestamp("finished_before", finishedBefore));
                        command.Parameters.Add(Parameter.Timestamp("beyond_completed_at", beyondCompletedAt));
                        command.Parameters.Add(Parameter.Uuid("beyond_id", beyondId));
                        command.Parameters.Add(Parameter.Integer("batch_size", BatchSize));
                        batch = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                        removed += batch;
                    }
                    while (batch > 0);

                    return removed;
                }
                finally
                {
                    await ReleaseLockAsync(connection).ConfigureAwait(false);
                }
            },
            cancellationToken);

    /// <summary>
    /// The newest finished job beyond the newest <paramref name="keepAtMost"/>, which the sweep removes with every older
    /// one; none when no more jobs are finished. Jobs that finish during the sweep are counted by the next one.
    /// </summary>
    private async Task<(DateTimeOffset? CompletedAt, Guid? Id)> FindBoundaryAsync(NpgsqlConnection connection, int keepAtMost, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(database.Sql["FindRetentionBoundary"], connection)
        {
            Parameters = { Parameter.Integer("keep_at_most", keepAtMost) },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetFieldValue<DateTimeOffset?>(0), reader.GetGuid(1))
            : (null, null);
    }

    private async Task ReleaseLockAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var releaseLock = LockCommand("ReleaseSweepLock", connection);
            await releaseLock.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (connection.State != System.Data.ConnectionState.Open)
        {
            // The connection broke: its session, and the lock with it, has ended.
        }
        catch (NpgsqlException)
        {
            // The server refused the unlock of a session that lives on, and a pool that skips session resets would keep
            // the lock with the connection: retire the pool's connections, this one included, so the lock ends with its
            // session. Not a reaction to an outage (a broken connection is the case above); this has not been seen.
            database.DataSource.Clear();
            throw;
        }
    }

    private NpgsqlCommand LockCommand(string statement, NpgsqlConnection connection) => new(database.Sql[statement], connection)
    {
        Parameters =
        {
            Parameter.Integer("class", SqlScripts.AdvisoryLockClass),
            Parameter.Text("lock", _lock),
        },
    };
}
