namespace LongJobs.Server.Storage.InMemory;

/// <summary>The changes of the jobs (<see cref="IJobChangeFeed"/>): finished jobs, watchers, and waits for one job's next change.</summary>
internal sealed partial class InMemoryJobStore
{
    public event Action<JobRecord>? JobFinished;

    public IDisposable WatchChanges(Action<Guid> onChanged) => _watchers.Add(onChanged);

    public async ValueTask<JobRecord?> WaitForChangeAsync(Guid id, long knownVersion, CancellationToken cancellationToken = default)
    {
        while (_jobs.TryGetValue(id, out var entry))
        {
            Task changed;
            lock (entry)
            {
                if (entry.Current.Version > knownVersion)
                {
                    return entry.Current;
                }

                if (entry.IsRemoved)
                {
                    return null;
                }

                // Created only when someone waits: most jobs change several times and are never awaited this way.
                entry.Changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = entry.Changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }
}
