using System.Text.Json;
using LongJobs.Server.Jobs;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Rows;

/// <summary>
/// Reads the row of <c>Sql/GetJobHistory.sql</c>: the job's running attempt from its own columns, its attempts' rows
/// (<c>job_attempts</c>) and its log lines (<c>job_log</c>) as JSON arrays, and the number of its first kept line.
/// </summary>
internal static class JobHistoryRows
{
    public static JobHistory Read(NpgsqlDataReader reader)
    {
        var status = Enum.Parse<JobStatus>(reader.GetString(0));
        var attempts = Json<List<JobAttempt>>(reader, 4) ?? [];
        var log = Json<List<JobLogLine>>(reader, 5) ?? [];
        var firstLine = reader.IsDBNull(6) ? 1 : reader.GetInt32(6);
        if (status == JobStatus.Running && !reader.IsDBNull(2))
        {
            // The running attempt is the job's row, unless an in-place retry wrote its row ahead.
            var attempt = reader.GetInt32(1);
            if (attempts.FindIndex(known => known.Number == attempt) < 0)
            {
                attempts.Add(new JobAttempt
                {
                    Number = attempt,
                    StartedAt = reader.GetFieldValue<DateTimeOffset>(2),
                    Node = reader.IsDBNull(3) ? null : reader.GetString(3),
                });
            }
        }

        return new JobHistory(attempts, log, firstLine - 1);
    }

    private static T? Json<T>(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : JsonSerializer.Deserialize<T>(reader.GetString(ordinal), JobRows.StoredSerializerOptions);
}
