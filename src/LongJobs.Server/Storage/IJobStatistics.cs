using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>
/// Counts of jobs for an overview (the dashboard's), a role of <see cref="IJobStore"/>: the unfinished jobs now, and the
/// jobs that finished in a recent window, by kind and status and per time bucket. Every count is bounded by a limit of the
/// query, never by the size of the store: a store answers from its indexes of unfinished and of finished jobs.
/// </summary>
public interface IJobStatistics
{
    /// <summary>Counts the jobs <paramref name="query"/> selects.</summary>
    /// <param name="query">Whose jobs, which window of finished jobs, and where counting stops.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The counts by kind and status, and the finished jobs per bucket.</returns>
    ValueTask<JobStatistics> CountJobsAsync(JobStatisticsQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Selects the jobs <see cref="IJobStatistics.CountJobsAsync"/> counts.</summary>
public sealed record JobStatisticsQuery
{
    /// <summary>The largest <see cref="CountAtMost"/> and <see cref="FinishedAtMost"/> a store must serve.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>
    /// Only jobs of this <see cref="JobRecord.Owner"/>; only jobs without an owner when <see cref="JobQuery.NoOwner"/>; jobs
    /// of any owner, or none, when <see langword="null"/> (as <see cref="JobQuery.Owner"/>).
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>The start of the window of finished jobs (inclusive): the jobs whose <see cref="JobRecord.CompletedAt"/> is from it to <see cref="Until"/>.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>The end of the window of finished jobs (exclusive).</summary>
    public required DateTimeOffset Until { get; init; }

    /// <summary>The width of the buckets of finished jobs, from <see cref="Since"/>: bucket <c>n</c> starts at <c>Since + n × BucketWidth</c>.</summary>
    /// <value>The default value is one minute.</value>
    public TimeSpan BucketWidth { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How many unfinished jobs of each status to count at most: a status counted this many has at least as many.</summary>
    /// <value>The default value is 10,000.</value>
    public int CountAtMost { get; init; } = 10_000;

    /// <summary>How many finished jobs of the window to count at most, newest first: when the counts add up to this, the window held at least as many and the oldest buckets are short.</summary>
    /// <value>The default value is 100,000.</value>
    public int FinishedAtMost { get; init; } = 100_000;
}

/// <summary>What <see cref="IJobStatistics.CountJobsAsync"/> counted.</summary>
/// <param name="Counts">
/// The unfinished jobs (<see cref="JobStatus.Scheduled"/>, <see cref="JobStatus.Queued"/>, <see cref="JobStatus.Running"/>)
/// now, and the finished ones of the window, by kind and status; a pair without jobs is left out.
/// </param>
/// <param name="Buckets">The finished jobs of the window by bucket and status; a pair without jobs is left out.</param>
public sealed record JobStatistics(IReadOnlyList<JobCount> Counts, IReadOnlyList<JobBucketCount> Buckets);

/// <summary>How many jobs of one kind are in one status.</summary>
/// <param name="Kind">The kind's name.</param>
/// <param name="Status">The status.</param>
/// <param name="Count">How many.</param>
public readonly record struct JobCount(string Kind, JobStatus Status, int Count);

/// <summary>How many jobs finished in one status within one bucket of time.</summary>
/// <param name="Start">The bucket's start.</param>
/// <param name="Status">The final status: <see cref="JobStatus.Succeeded"/>, <see cref="JobStatus.Failed"/> or <see cref="JobStatus.Canceled"/>.</param>
/// <param name="Count">How many.</param>
public readonly record struct JobBucketCount(DateTimeOffset Start, JobStatus Status, int Count);
