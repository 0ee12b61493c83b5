namespace LongJobs.Server.Execution;

/// <summary>A recurring schedule (<c>JobKindOptions.AddSchedule</c>) and its state on every server sharing the store.</summary>
public sealed record JobSchedule
{
    /// <summary>The schedule's name.</summary>
    public required string Name { get; init; }

    /// <summary>The kind of the jobs it starts.</summary>
    public required string Kind { get; init; }

    /// <summary>Its cron expression.</summary>
    public required string Cron { get; init; }

    /// <summary>The ID of the time zone the expression is read in.</summary>
    public required string TimeZone { get; init; }

    /// <summary>When it was paused, while it is; <see langword="null"/> when it runs.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>The due time of its next occurrence: in the past while a late one waits for a server to start it; <see langword="null"/> while paused, or when it never occurs again.</summary>
    public DateTimeOffset? NextRunAt { get; init; }

    /// <summary>The due time of the last occurrence that started a job, if any.</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The ID of that job.</summary>
    public Guid? LastJobId { get; init; }
}
