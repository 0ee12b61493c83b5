using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using Npgsql;

namespace LongJobs.Server.PostgreSql;

/// <summary>The overview's counts (<see cref="IJobStatistics"/>): one statement over index ranges bounded by the query's limits.</summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<JobStatistics> CountJobsAsync(JobStatisticsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Until, query.Since, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(query.BucketWidth, TimeSpan.Zero, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.CountAtMost, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.FinishedAtMost, nameof(query));
        return await _database.ExecuteAsync(
            "CountJobs",
            Repeat.Safe,
            ReadStatisticsAsync,
            cancellationToken,
            Parameter.Text("owner", query.Owner),
            Parameter.Timestamp("since", query.Since),
            Parameter.Timestamp("until", query.Until),
            Parameter.Interval("bucket", query.BucketWidth),
            Parameter.Integer("count_at_most", query.CountAtMost),
            Parameter.Integer("finished_at_most", query.FinishedAtMost)).ConfigureAwait(false);
    }

    private static async Task<JobStatistics> ReadStatisticsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var counts = new List<JobCount>();
        var buckets = new List<JobBucketCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var status = Enum.Parse<JobStatus>(reader.GetString(1));
            var count = reader.GetInt32(3);
            if (reader.IsDBNull(2))
            {
                counts.Add(new JobCount(reader.GetString(0), status, count));
            }
            else
            {
                buckets.Add(new JobBucketCount(reader.GetFieldValue<DateTimeOffset>(2), status, count));
            }
        }

        return new JobStatistics(counts, buckets);
    }
}
