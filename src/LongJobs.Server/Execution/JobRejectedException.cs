namespace LongJobs.Server.Execution;

/// <summary>Thrown when a job cannot be accepted now; the caller may try again after <see cref="RetryAfter"/>.</summary>
public sealed class JobRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the job was refused.</param>
    /// <param name="retryAfter">When trying again may succeed.</param>
    public JobRejectedException(JobRejectionReason reason, TimeSpan retryAfter)
        : base(reason == JobRejectionReason.QueueFull
            ? "The job queue is full; try again later."
            : "The server is shutting down and accepts no new jobs.")
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Why the job was refused.</summary>
    public JobRejectionReason Reason { get; }

    /// <summary>When trying again may succeed.</summary>
    public TimeSpan RetryAfter { get; }
}

/// <summary>Why a job was refused.</summary>
public enum JobRejectionReason
{
    /// <summary>All execution slots are busy and the queue holds <see cref="LongJobsOptions.MaxQueuedJobs"/> jobs (HTTP 429).</summary>
    QueueFull,

    /// <summary>The host is stopping (HTTP 503).</summary>
    ShuttingDown,
}
