namespace LongJobs.Server.Storage;

/// <summary>
/// The watchers of a store's changes: what an <see cref="IJobStore"/> implementation keeps to serve
/// <see cref="IJobChangeFeed.WatchChanges"/>. Adding and removing are rare; announcing, on every change, takes no lock.
/// </summary>
public sealed class JobChangeWatchers
{
    private readonly Lock _gate = new();
    private Action<Guid>[] _watchers = [];

    /// <summary>How many watchers there are.</summary>
    public int Count => Volatile.Read(ref _watchers).Length;

    /// <summary>Adds a watcher until the returned object is disposed.</summary>
    /// <param name="onChanged">Called with the ID of every job announced.</param>
    /// <returns>Removes the watcher when disposed.</returns>
    public IDisposable Add(Action<Guid> onChanged)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        lock (_gate)
        {
            _watchers = [.. _watchers, onChanged];
        }

        return new Removal(this, onChanged);
    }

    /// <summary>Calls every watcher with <paramref name="id"/>: a job that was added or changed, or <see cref="Guid.Empty"/> when changes may have been missed.</summary>
    /// <param name="id">The job's ID.</param>
    public void Announce(Guid id)
    {
        foreach (var watcher in Volatile.Read(ref _watchers))
        {
            watcher(id);
        }
    }

    private void Remove(Action<Guid> watcher)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_watchers, watcher);
            if (index >= 0)
            {
                _watchers = [.. _watchers[..index], .. _watchers[(index + 1)..]];
            }
        }
    }

    private sealed class Removal(JobChangeWatchers watchers, Action<Guid> watcher) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                watchers.Remove(watcher);
            }
        }
    }
}
