using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Writes;
using LongJobs.Server.Storage;
using Npgsql;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// The recurring schedules' state (<see cref="IJobSchedules"/>), a table of its own: each occurrence is marked done and
/// its job inserted by one statement, which the schedule's row lock makes the only one to do so.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask AddSchedulesAsync(IReadOnlyCollection<string> names, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(names));
        }

        await _database.ExecuteAsync(
            "AddSchedules",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Texts("names", names),
            Parameter.Timestamp("now", now)).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<StoredSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync("GetSchedules", Repeat.Safe, ReadSchedulesAsync, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ScheduleAdvance> AdvanceScheduleAsync(string schedule, DateTimeOffset due, JobRecord? job, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        if (job is not null)
        {
            JobInserts.Validate(job);
            if (job.IdempotencyKey is not null || job.Request is null)
            {
                throw new ArgumentException("An occurrence's job has a request and no idempotency key.", nameof(job));
            }
        }

        return await _database.ExecuteAsync(
            "AdvanceSchedule",
            Repeat.Safe,
            static async (command, token) =>
            {
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                var advanced = reader.GetBoolean(reader.FieldCount - 1);
                return new ScheduleAdvance(advanced, reader.IsDBNull(0) ? null : JobRows.Read(reader));
            },
            cancellationToken,
            Parameter.Text("name", schedule),
            Parameter.Timestamp("due", due),
            Parameter.Uuid("id", job?.Id),
            Parameter.Text("kind", job?.Kind),
            Parameter.Timestamp("created_at", job?.CreatedAt),
            Parameter.Json("request", job?.Request),
            Parameter.Integer("max_attempts", job?.MaxAttempts ?? 1),
            Parameter.Text("trace_parent", job?.TraceParent),
            Parameter.Text("unique_key", job?.UniqueKey),
            Parameter.Integer("priority", job?.Priority ?? 0)).ConfigureAwait(false);
    }

    public async ValueTask<StoredSchedule> PauseScheduleAsync(string schedule, DateTimeOffset pausedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        var states = await _database.ExecuteAsync(
            "PauseSchedule",
            Repeat.Safe,
            ReadSchedulesAsync,
            cancellationToken,
            Parameter.Text("name", schedule),
            Parameter.Timestamp("paused_at", pausedAt)).ConfigureAwait(false);
        return states[0];
    }

    public async ValueTask<bool> ResumeScheduleAsync(string schedule, DateTimeOffset resumedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        return await _database.ExecuteAsync(
            "ResumeSchedule",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0,
            cancellationToken,
            Parameter.Text("name", schedule),
            Parameter.Timestamp("resumed_at", resumedAt)).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<StoredSchedule>> ReadSchedulesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var schedules = new List<StoredSchedule>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            schedules.Add(new StoredSchedule(
                reader.GetString(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return schedules;
    }
}
