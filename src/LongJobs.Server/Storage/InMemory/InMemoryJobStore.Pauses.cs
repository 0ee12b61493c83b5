namespace LongJobs.Server.Storage.InMemory;

/// <summary>The paused kinds (<see cref="IKindPauses"/>): claims skip their queued jobs.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<string, KindPause> _pauses = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default)
    {
        lock (_pauses)
        {
            return ValueTask.FromResult<IReadOnlyList<KindPause>>([.. _pauses.Values.OrderBy(pause => pause.Kind, StringComparer.Ordinal)]);
        }
    }

    public ValueTask<KindPause> PauseKindAsync(string kind, DateTimeOffset pausedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        lock (_pauses)
        {
            if (!_pauses.TryGetValue(kind, out var pause))
            {
                _pauses[kind] = pause = new KindPause(kind, pausedAt);
            }

            return ValueTask.FromResult(pause);
        }
    }

    public ValueTask<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        lock (_pauses)
        {
            return ValueTask.FromResult(_pauses.Remove(kind));
        }
    }

    /// <summary>The paused kinds' names, or <see langword="null"/> when none is paused.</summary>
    private HashSet<string>? PausedKinds()
    {
        lock (_pauses)
        {
            return _pauses.Count == 0 ? null : [.. _pauses.Keys];
        }
    }
}
