using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Changes;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// Waits for changes: a waiter watches the job's notifications, and reads the job only when it may have changed since
/// the version it knows (<see cref="KnownStates"/>), or when no notification came for <see cref="FallbackPollInterval"/>.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    /// <summary>
    /// How long a waiter trusts notifications before it reads the job again anyway. PostgreSQL loses no notification
    /// to a session that listens; the listener wakes every waiter when it reconnects (notifications may have been sent
    /// meanwhile), and checks a silent connection every <see cref="JobChangeListener.KeepAliveInterval"/>. This read is
    /// the last resort, rare on purpose: every job queued here has a waiter (its handle), and a queue of a hundred
    /// thousand jobs read every few seconds would be a load of its own.
    /// </summary>
    internal static readonly TimeSpan FallbackPollInterval = TimeSpan.FromMinutes(1);

    public async ValueTask<JobRecord?> WaitForChangeAsync(Guid id, long knownVersion, CancellationToken cancellationToken = default)
    {
        // A job whose state this node inserted or read in knownVersion, and that no notification has mentioned since, is
        // still in it: that wait needs no read (a follower of a job queued here would otherwise read every queued job).
        // A state taken from this node's claim is not tracked: the job may have changed again, and its notification
        // been handled, before the waiter took it.
        var read = false;
        while (true)
        {
            using var watch = _changes.NextChange(id);
            if (read)
            {
                await _claims.SettledAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_claims.TakeNewerThan(id, knownVersion) is { } claimed)
            {
                return claimed;
            }

            if (read || !_changes.KnownStates.IsUnchangedSince(id, knownVersion))
            {
                var job = await ReadTrackedAsync(id, cancellationToken).ConfigureAwait(false);
                if (job is null || job.Version > knownVersion)
                {
                    return job;
                }
            }

            read = true;

            try
            {
                await watch.Changed.WaitAsync(FallbackPollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No notification came: read again in case one was lost.
            }
        }
    }

    /// <summary>
    /// Reads a job for a waiter and, while it is unfinished (a finished job may never be mentioned again), tracks the
    /// version read until a notification mentions the job, so the waiter's next wait needs no read.
    /// </summary>
    private async Task<JobRecord?> ReadTrackedAsync(Guid id, CancellationToken cancellationToken)
    {
        _changes.KnownStates.Expect(id);
        JobRecord? job = null;
        try
        {
            job = await GetAsync(id, cancellationToken).ConfigureAwait(false);
            return job;
        }
        finally
        {
            if (job is { Status: var status } && !status.IsFinished())
            {
                _changes.KnownStates.Known(id, job.Version);
            }
            else
            {
                _changes.KnownStates.Forget(id);
            }
        }
    }
}
