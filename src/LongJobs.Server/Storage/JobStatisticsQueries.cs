namespace LongJobs.Server.Storage;

/// <summary>What every store does the same with a <see cref="JobStatisticsQuery"/>: check it, and place a time in its buckets.</summary>
internal static class JobStatisticsQueries
{
    /// <summary>Throws for a query no store should run.</summary>
    public static void Validate(JobStatisticsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Until, query.Since, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(query.BucketWidth, TimeSpan.Zero, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.CountAtMost, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.CountAtMost, JobStatisticsQuery.MaxCount, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.FinishedAtMost, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.FinishedAtMost, JobStatisticsQuery.MaxCount, nameof(query));
    }

    /// <summary>The start of the bucket <paramref name="time"/> falls in (as PostgreSQL's <c>date_bin</c>).</summary>
    public static DateTimeOffset BucketOf(DateTimeOffset time, JobStatisticsQuery query) =>
        query.Since + (query.BucketWidth * Math.Floor((time - query.Since) / query.BucketWidth));
}
