using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Jobs;

/// <summary>What a running job knows about itself, how it reports progress, and how it writes to its log.</summary>
public abstract class JobContext
{
    /// <summary>The longest progress message a job may report.</summary>
    public const int MaxProgressMessageLength = 200;

    /// <summary>The longest log line a job keeps: longer messages are cut to this length.</summary>
    public const int MaxLogMessageLength = 2_000;

    private ILogger? _logger;

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

    /// <summary>
    /// Writes a line to the job's log, which its history keeps (the last <see cref="LongJobsOptions.MaxLogLinesPerJob"/>
    /// lines, shown over REST and in the dashboard) and which also goes to the server's log. Returns at once: lines are
    /// buffered and written in the background, and a line the store cannot take is dropped (and counted), never failing
    /// the job.
    /// </summary>
    /// <param name="level">The line's level; <see cref="LogLevel.None"/> writes nothing.</param>
    /// <param name="message">The text; cut to <see cref="MaxLogMessageLength"/> characters.</param>
    public void Log(LogLevel level, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (level is < LogLevel.Trace or > LogLevel.None)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Not a log level.");
        }

        if (level == LogLevel.None)
        {
            return;
        }

        if (message.Length > MaxLogMessageLength)
        {
            message = message[..MaxLogMessageLength];
        }

        // A database's text cannot hold NUL.
        OnLog(level, message.Replace('\0', '\uFFFD'));
    }

    /// <summary>An <see cref="ILogger"/> that writes to the job's log through <see cref="Log"/>, with its message templates and exceptions (their messages).</summary>
    public ILogger Logger => _logger ??= new JobLogger(this);

    /// <summary>Records a line of the job's log; the default does nothing (a context made for tests).</summary>
    /// <param name="level">The line's level, not <see cref="LogLevel.None"/>.</param>
    /// <param name="message">The text, at most <see cref="MaxLogMessageLength"/> characters.</param>
    protected virtual void OnLog(LogLevel level, string message)
    {
    }

    /// <summary>The job's log as an <see cref="ILogger"/>: every enabled line goes to <see cref="Log"/>.</summary>
    private sealed class JobLogger(JobContext context) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                var message = formatter(state, exception);
                context.Log(logLevel, exception is null ? message : $"{message} ({exception.GetType().Name}: {exception.Message})");
            }
        }
    }
}
