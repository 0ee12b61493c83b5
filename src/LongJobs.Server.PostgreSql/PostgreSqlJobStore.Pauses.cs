using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using Npgsql;

namespace LongJobs.Server.PostgreSql;

/// <summary>The paused kinds (<see cref="IKindPauses"/>), a table of their own that every claim reads.</summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync("GetPausedKinds", Repeat.Safe, ReadPausesAsync, cancellationToken).ConfigureAwait(false);

    public async ValueTask<KindPause> PauseKindAsync(string kind, DateTimeOffset pausedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var pauses = await _database.ExecuteAsync(
            "PauseKind",
            Repeat.Safe,
            ReadPausesAsync,
            cancellationToken,
            Parameter.Text("kind", kind),
            Parameter.Timestamp("paused_at", pausedAt)).ConfigureAwait(false);

        // Empty only when a resume came between the two halves of the statement: the pause then took effect and ended.
        return pauses.Count > 0 ? pauses[0] : new KindPause(kind, pausedAt);
    }

    public async ValueTask<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        return await _database.ExecuteAsync(
            "ResumeKind",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0,
            cancellationToken,
            Parameter.Text("kind", kind)).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<KindPause>> ReadPausesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var pauses = new List<KindPause>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            pauses.Add(new KindPause(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return pauses;
    }
}
