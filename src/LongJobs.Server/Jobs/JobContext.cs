namespace LongJobs.Server.Jobs;

/// <summary>What a running job knows about itself, and how it reports progress.</summary>
public abstract class JobContext
{
    /// <summary>The longest progress message a job may report.</summary>
    public const int MaxProgressMessageLength = 200;

    /// <summary>Creates a context for attempt <paramref name="attempt"/> of the job <paramref name="jobId"/>; for tests of job handlers.</summary>
    /// <param name="jobId">The job's ID.</param>
    /// <param name="kind">The job kind's name.</param>
    /// <param name="attempt">Which attempt runs, from 1.</param>
    protected JobContext(Guid jobId, string kind, int attempt = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempt);
        JobId = jobId;
        Kind = kind;
        Attempt = attempt;
    }

    /// <summary>The running job's ID.</summary>
    public Guid JobId { get; }

    /// <summary>The running job's kind.</summary>
    public string Kind { get; }

    /// <summary>
    /// Which attempt runs, from 1. A later attempt follows a transient failure or a lost server, and may find
    /// part of an earlier attempt's work done: handlers of retried kinds should be idempotent.
    /// </summary>
    public int Attempt { get; }

    /// <summary>Reports how far the job has come; callers see it in the job's state.</summary>
    /// <param name="fraction">Completed fraction of the work, from 0 to 1.</param>
    /// <param name="message">A short description of the current step, at most <see cref="MaxProgressMessageLength"/> characters.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>A task that completes when the progress is recorded.</returns>
    public ValueTask ReportProgressAsync(double fraction, string? message = null, CancellationToken cancellationToken = default)
    {
        if (!(fraction is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Progress must be a fraction from 0 to 1.");
        }

        if (message?.Length > MaxProgressMessageLength)
        {
            throw new ArgumentException($"A progress message has at most {MaxProgressMessageLength} characters.", nameof(message));
        }

        if (message?.Contains('\0', StringComparison.Ordinal) == true)
        {
            throw new ArgumentException("A progress message cannot contain the NUL character.", nameof(message));
        }

        return OnProgressAsync(fraction, message, cancellationToken);
    }

    /// <summary>Records a validated progress report.</summary>
    /// <param name="fraction">Completed fraction of the work, from 0 to 1.</param>
    /// <param name="message">A short description of the current step, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the report.</param>
    /// <returns>A task that completes when the progress is recorded.</returns>
    protected abstract ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken);
}
