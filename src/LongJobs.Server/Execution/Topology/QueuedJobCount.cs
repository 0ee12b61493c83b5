namespace LongJobs.Server.Execution.Topology;

/// <summary>
/// The length of a shared store's queue as this server last counted it, kept up to date with this server's own
/// changes (jobs it queued, claimed or started) and counted again once it is <see cref="MaxAge"/> old, or
/// <see cref="MaxAgeWithRoom"/> old while the queue is less than half full: checking
/// <see cref="LongJobsOptions.MaxQueuedJobs"/> then costs a query at most that often, not one per start. Changes
/// made by other servers show at the next count.
/// </summary>
internal sealed class QueuedJobCount(TimeProvider time)
{
    /// <summary>How long a count is used before the store is asked again.</summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a count that leaves at least half the limit free is used. A count reads up to the whole queue, so a long
    /// queue far from its limit is not counted ten times a second: other servers would have to queue half the limit
    /// within this time to fill it unseen, and the limit is a guard against runaway queues, not an exact quota.
    /// </summary>
    internal static readonly TimeSpan MaxAgeWithRoom = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private long _countedAt;
    private bool _known;
    private int _count;

    /// <summary>Reads the count, if one was taken recently enough for a queue limited to <paramref name="limit"/> jobs.</summary>
    public bool TryGet(int limit, out int count)
    {
        lock (_gate)
        {
            count = _count;
            return _known && time.GetElapsedTime(_countedAt) < (count <= limit / 2 ? MaxAgeWithRoom : MaxAge);
        }
    }

    /// <summary>Reads the count however old it is, once one was taken.</summary>
    public bool TryGetLast(out int count)
    {
        lock (_gate)
        {
            count = _count;
            return _known;
        }
    }

    /// <summary>Records a count just read from the store.</summary>
    public void Set(int count)
    {
        lock (_gate)
        {
            _count = count;
            _countedAt = time.GetTimestamp();
            _known = true;
        }
    }

    /// <summary>Adds this server's own change: jobs it queued (positive), or took from the queue (negative).</summary>
    public void Add(int delta)
    {
        lock (_gate)
        {
            _count = Math.Max(0, _count + delta);
        }
    }
}
