using Microsoft.Extensions.Logging;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>
/// Whether the store's database serves it, as its calls and loops find out; it logs the outages an operator needs to
/// see, and no more: one warning when the database stops serving (what is wrong, on one line, without a stack trace),
/// one line when it serves again (after how long), and in between a reminder at most every
/// <see cref="ReminderInterval"/>, or when the reason changes between a passing one (out of reach, restarting, busy) and
/// one that needs the operator (a database back up that now rejects the credentials).
/// An outage that begins within <see cref="ReminderInterval"/> of the last warning is logged at the debug level, and
/// so is its end, unless it lasts long enough for a reminder: a flapping database does not flood the log.
/// </summary>
internal sealed partial class DatabaseAvailability(ILogger logger, TimeProvider time)
{
    /// <summary>The event IDs of the lines: the database stops serving, it still does not (a reminder), it serves again.</summary>
    internal const int OutEvent = 121, StillOutEvent = 122, BackEvent = 123;

    /// <summary>How often, at most, a warning about the same outage is repeated.</summary>
    internal static readonly TimeSpan ReminderInterval = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private volatile bool _out;
    private long _outSince;
    private long? _lastWarning;
    private bool _announced;
    private DatabaseProblem _problem;

    /// <summary>Whether the database does not serve the store, as last seen.</summary>
    public bool IsOut => _out;

    /// <summary>Records that a call or a loop found that the database cannot serve it, with <paramref name="exception"/> (see <see cref="DatabaseFailures.Classify"/>).</summary>
    public void Failed(Exception exception)
    {
        // A restart goes through several passing problems (shutting down, refused, starting): one reason to the operator.
        var problem = DatabaseFailures.IsRetryable(exception) ? DatabaseProblem.Unreachable : DatabaseFailures.Classify(exception);
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (!_out)
            {
                _out = true;
                _outSince = now;
                _problem = problem;
                _announced = _lastWarning is not { } last || time.GetElapsedTime(last, now) >= ReminderInterval;
                var level = _announced ? LogLevel.Warning : LogLevel.Debug;
                var description = DatabaseFailures.Describe(exception);
                Out(logger, level, description);
            }
            else if (problem != _problem || time.GetElapsedTime(_lastWarning ?? _outSince, now) >= ReminderInterval)
            {
                _problem = problem;
                _announced = true;
                StillOut(logger, time.GetElapsedTime(_outSince, now), DatabaseFailures.Describe(exception));
            }
            else
            {
                return;
            }

            if (_announced)
            {
                _lastWarning = now;
            }
        }
    }

    /// <summary>Records that work begun at <paramref name="began"/> (a <see cref="TimeProvider.GetTimestamp"/>) was served; work begun before the outage was recorded proves nothing.</summary>
    public void Succeeded(long began)
    {
        if (!_out)
        {
            return;
        }

        lock (_gate)
        {
            if (!_out || began < _outSince)
            {
                return;
            }

            _out = false;
            var level = _announced ? LogLevel.Information : LogLevel.Debug;
            var duration = time.GetElapsedTime(_outSince);
            Back(logger, level, duration);
        }
    }

    [LoggerMessage(EventId = OutEvent, Message = "{Problem}. The job store keeps trying, and answers 503 meanwhile; a line will say when the database is back.")]
    private static partial void Out(ILogger logger, LogLevel level, string problem);

    [LoggerMessage(StillOutEvent, LogLevel.Warning, "The job database has not served the job store for {Duration}: {Problem}.")]
    private static partial void StillOut(ILogger logger, TimeSpan duration, string problem);

    [LoggerMessage(EventId = BackEvent, Message = "The job database is back, after {Duration}.")]
    private static partial void Back(ILogger logger, LogLevel level, TimeSpan duration);
}
