using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Storage;

/// <summary>
/// The failures of one background activity of the server (taking jobs from the queue, following jobs, recording
/// outcomes or progress, removing expired jobs, delivering notifications), logged once per episode: at the first failure one line at the
/// information level when the store is out of reach (a store that can be reports the outage itself, as a warning, once
/// for all activities: the PostgreSQL store does), otherwise a warning with the stack trace; the failures that follow at
/// the debug level; and one line when the activity works again, saying how long it failed. Callers on several threads may share one: each change of
/// state is one atomic operation, so of two that fail (or work) at once only one reports it.
/// </summary>
/// <param name="activity">What fails, as the log says it: "Taking jobs from the queue".</param>
/// <param name="logger">Where the episodes are logged.</param>
/// <param name="time">Measures how long an episode lasted.</param>
internal sealed class FailureEpisode(string activity, ILogger logger, TimeProvider time)
{
    private int _failures;
    private long _failingSince;

    /// <summary>Whether the activity failed since it last worked.</summary>
    public bool IsFailing => Volatile.Read(ref _failures) > 0;

    /// <summary>Notes a failure: the first of an episode is a warning, the others are logged at the debug level.</summary>
    /// <returns>Whether it began an episode.</returns>
    public bool Failed(Exception exception)
    {
        var failures = Interlocked.Increment(ref _failures);
        if (failures != 1)
        {
            Log.FailedAgain(logger, activity, failures, exception.Message);
            return false;
        }

        Interlocked.Exchange(ref _failingSince, time.GetTimestamp());
        if (exception is JobStoreUnavailableException unavailable)
        {
            Log.StoreOutOfReach(logger, activity, (unavailable.InnerException ?? unavailable).Message);
        }
        else
        {
            Log.ActivityFailed(logger, exception, activity);
        }

        return true;
    }

    /// <summary>Notes that the activity worked: ends the episode of failures, if any, with one line that says how long it lasted.</summary>
    /// <returns>Whether it ended an episode.</returns>
    public bool Worked()
    {
        if (Volatile.Read(ref _failures) == 0)
        {
            return false;
        }

        var failures = Interlocked.Exchange(ref _failures, 0);
        if (failures == 0)
        {
            return false;
        }

        Log.ActivityRecovered(logger, activity, failures, time.GetElapsedTime(Interlocked.Read(ref _failingSince)));
        return true;
    }
}
