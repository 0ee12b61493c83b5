using System.Collections.Concurrent;

namespace LongJobs.Server.PostgreSql.Changes;

/// <summary>
/// The states of jobs this node knows without reading them again: the job was inserted or read here, and no
/// notification has named it since. Such a state holds while the connection that was listening when it was tracked
/// still listens: the job is still in it, or a notification for it is on its way. Call <see cref="Expect"/> before the
/// insert or read, then <see cref="Known"/> with its version, or <see cref="Forget"/>; the listener forgets a job when a
/// notification names it, and every job when its connection stops listening.
/// </summary>
internal sealed class KnownStates
{
    /// <summary>
    /// How many jobs are tracked at most (a few MB; fewer than the handles of queued jobs they spare a read each);
    /// beyond that, waiters read first as usual.
    /// </summary>
    internal const int MaxTracked = 100_000;

    /// <summary>Each tracked job's version (0 while its insert or read runs) and the connection it was tracked under.</summary>
    private readonly ConcurrentDictionary<Guid, (long Version, long Connection)> _unchanged = new();

    /// <summary>
    /// How many jobs <see cref="_unchanged"/> holds, kept beside it: its own Count takes every lock of the dictionary
    /// (about 12 µs at 10,000 jobs), which every insert and read of a waited-for job would pay.
    /// </summary>
    private int _count;

    /// <summary>Counts the listening connections; odd while one listens, even while none does.</summary>
    private long _connection;

    /// <summary>Starts tracking job <paramref name="id"/>, about to be inserted or read; nothing is tracked while not listening.</summary>
    public void Expect(Guid id)
    {
        var connection = Interlocked.Read(ref _connection);
        if (connection % 2 == 1 && Volatile.Read(ref _count) < MaxTracked && _unchanged.TryAdd(id, (0, connection)))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Records the version that the insert or read of a job passed to <see cref="Expect"/> returned.</summary>
    public void Known(Guid id, long version)
    {
        if (_unchanged.TryGetValue(id, out var tracked) && tracked.Version == 0)
        {
            _unchanged.TryUpdate(id, (version, tracked.Connection), tracked);
        }
    }

    /// <summary>Stops tracking a job: its insert failed, this node changed it, or a notification named it.</summary>
    public void Forget(Guid id)
    {
        if (_unchanged.TryRemove(id, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>
    /// Whether job <paramref name="id"/> is known to be in <paramref name="version"/>, as inserted or read by
    /// this node, or to have a notification on its way that wakes watches made before this call.
    /// </summary>
    public bool IsUnchangedSince(Guid id, long version) =>
        _unchanged.TryGetValue(id, out var tracked)
        && tracked.Version == version
        && tracked.Connection == Interlocked.Read(ref _connection);

    /// <summary>A connection listens from now on: jobs inserted or read can be tracked.</summary>
    public void Listening() => Interlocked.Increment(ref _connection);

    /// <summary>Notifications may be lost from now on: no job is known to be unchanged any more.</summary>
    public void StoppedListening()
    {
        if (Interlocked.Read(ref _connection) % 2 == 1)
        {
            Interlocked.Increment(ref _connection);
        }

        foreach (var tracked in _unchanged)
        {
            Forget(tracked.Key);
        }
    }
}
