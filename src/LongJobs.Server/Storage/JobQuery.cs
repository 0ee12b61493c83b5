using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>Selects one page of jobs, newest first.</summary>
public sealed record JobQuery
{
    /// <summary>The largest page size a store must serve.</summary>
    public const int MaxPageSize = 100;

    /// <summary>Only jobs in this status, or any status when <see langword="null"/>.</summary>
    public JobStatus? Status { get; init; }

    /// <summary>Only jobs of this kind, or any kind when <see langword="null"/>.</summary>
    public string? Kind { get; init; }

    /// <summary>
    /// Only jobs of this <see cref="JobRecord.Owner"/>; only jobs without an owner when <see cref="NoOwner"/>; jobs of
    /// any owner, or none, when <see langword="null"/>.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>The <see cref="Owner"/> filter that selects the jobs without an owner (an owner is never empty).</summary>
    public const string NoOwner = "";

    /// <summary>Only jobs that finished at or after this instant, or any job when <see langword="null"/>.</summary>
    public DateTimeOffset? CompletedAfter { get; init; }

    /// <summary>Only jobs created at or after this instant, or any job when <see langword="null"/>.</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Only jobs created before this instant, or any job when <see langword="null"/>.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>How many jobs one page holds, from 1 to <see cref="MaxPageSize"/>.</summary>
    /// <value>The default value is 20.</value>
    public int PageSize { get; init; } = 20;

    /// <summary>Where the page starts: the <see cref="JobPage.Next"/> of the previous page, or <see langword="null"/> for the first page.</summary>
    public JobCursor? After { get; init; }
}

/// <summary>A position in the newest-first order of jobs: the creation time and ID of the last job seen.</summary>
/// <param name="CreatedAt">The last job's creation time.</param>
/// <param name="Id">The last job's ID, which breaks ties between jobs created at the same instant.</param>
public readonly record struct JobCursor(DateTimeOffset CreatedAt, Guid Id);

/// <summary>One page of jobs, newest first.</summary>
/// <param name="Items">The jobs on this page.</param>
/// <param name="Next">Where the next page starts, or <see langword="null"/> on the last page.</param>
public sealed record JobPage(IReadOnlyList<JobRecord> Items, JobCursor? Next);
