using System.Text.Json;
using LongJobs.Server.Jobs;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Rows;

/// <summary>
/// Reads the row of <c>Sql/GetJobHistory.sql</c>: the job's running attempt, or the first attempt that finished it, from
/// its own columns, its attempts' rows (<c>job_attempts</c>) and its log lines (<c>job_log</c>) as JSON arrays, and the
/// number of its first kept line.
/// </summary>
internal static class JobHistoryRows
{
    public static JobHistory Read(NpgsqlDataReader reader)
    {
        var status = Enum.Parse<JobStatus>(reader.GetString(0));
        var attempts = Json<List<JobAttempt>>(reader, 4) ?? [];
        var log = Json<List<JobLogLine>>(reader, 5) ?? [];
        var firstLine = reader.IsDBNull(6) ? 1 : reader.GetInt32(6);
        if (!reader.IsDBNull(2) && attempts.FindIndex(known => known.Number == reader.GetInt32(1)) < 0)
        {
            // The job's row is its running attempt (unless an in-place retry wrote that attempt's row ahead), and a
            // first attempt that finished it (its end writes no row).
            var attempt = new JobAttempt
            {
                Number = reader.GetInt32(1),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(2),
                Node = reader.IsDBNull(3) ? null : reader.GetString(3),
            };
            if (status == JobStatus.Running)
            {
                attempts.Add(attempt);
            }
            else if (status.IsFinished() && attempt.Number == 1 && !reader.IsDBNull(7))
            {
                attempts.Add(attempt with
                {
                    EndedAt = reader.GetFieldValue<DateTimeOffset>(7),
                    Outcome = Enum.Parse<JobAttemptOutcome>(status.ToString()),
                    Error = Json<JobError>(reader, 8),
                });
            }
        }

        return new JobHistory(attempts, log, firstLine - 1);
    }

    private static T? Json<T>(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : JsonSerializer.Deserialize<T>(reader.GetString(ordinal), JobRows.StoredSerializerOptions);
}
