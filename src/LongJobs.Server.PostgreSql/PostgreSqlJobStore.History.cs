using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// The jobs' history (<see cref="IJobHistory"/>): tables of their own (migration 016), removed with the job. Attempts
/// are written by the statements that end them; log lines by one statement per write of the server's buffer.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<JobHistory?> GetHistoryAsync(Guid id, CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync(
            "GetJobHistory",
            Repeat.Safe,
            static async (command, token) =>
            {
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                return await reader.ReadAsync(token).ConfigureAwait(false) ? JobHistoryRows.Read(reader) : null;
            },
            cancellationToken,
            Parameter.Uuid("id", id)).ConfigureAwait(false);

    // Not safe to repeat: a repeat of a write that committed would add its lines twice.
    public async ValueTask AppendLogAsync(IReadOnlyList<JobLogEntry> entries, int keepLast, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keepLast);
        if (entries.Count == 0)
        {
            return;
        }

        await _database.ExecuteAsync(
            "AppendJobLog",
            Repeat.OnlyIfUnsent,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Uuids("job_ids", entries.Select(entry => entry.JobId)),
            Parameter.Timestamps("ats", entries.Select(entry => (DateTimeOffset?)entry.Line.Time)),
            Parameter.Texts("levels", entries.Select(entry => entry.Line.Level.ToString())),
            Parameter.Integers("attempts", entries.Select(entry => entry.Line.Attempt)),
            Parameter.Texts("messages", entries.Select(entry => entry.Line.Message)),
            Parameter.Integer("keep_last", keepLast)).ConfigureAwait(false);
    }
}
