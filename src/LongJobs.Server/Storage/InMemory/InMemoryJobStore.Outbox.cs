namespace LongJobs.Server.Storage.InMemory;

/// <summary>
/// The outbox (<see cref="IJobOutbox"/>), in memory like the jobs: a job enters it as it finishes, when it asked to be
/// notified. Retention may remove a job whose notifications are still due: they are dropped with it, as everything of a
/// removed job is.
/// </summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<Guid, OutboxEntry> _outbox = [];

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueNotificationsAsync(Guid claimant, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var claimed = new List<JobRecord>();
        lock (_outbox)
        {
            var due = _outbox.Where(pair => pair.Value.DueAt <= now && !(pair.Value.LeaseUntil > now)).OrderBy(pair => pair.Value.DueAt).ToList();
            foreach (var (id, entry) in due)
            {
                if (claimed.Count == limit)
                {
                    break;
                }

                if (_jobs.TryGetValue(id, out var job))
                {
                    _outbox[id] = entry with { Claimant = claimant, LeaseUntil = now + lease };
                    claimed.Add(job.Current);
                }
                else
                {
                    // Removed between finishing and entering the outbox.
                    _outbox.Remove(id);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<JobRecord>>(claimed);
    }

    public ValueTask ReleaseNotificationsAsync(Guid id, Guid claimant, DateTimeOffset? nextDueAt, CancellationToken cancellationToken = default)
    {
        lock (_outbox)
        {
            if (_outbox.TryGetValue(id, out var entry) && entry.Claimant == claimant)
            {
                if (nextDueAt is { } due)
                {
                    _outbox[id] = new OutboxEntry(due);
                }
                else
                {
                    _outbox.Remove(id);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Puts a job that just finished in the outbox, due at once, when it asked to be notified.</summary>
    private void EnterOutbox(JobRecord job)
    {
        if (job.Notifications is { IsEmpty: false })
        {
            lock (_outbox)
            {
                _outbox[job.Id] = new OutboxEntry(job.CompletedAt ?? time.GetUtcNow());
            }
        }
    }

    /// <summary>Takes a removed job out of the outbox.</summary>
    private void LeaveOutbox(Guid id)
    {
        lock (_outbox)
        {
            _outbox.Remove(id);
        }
    }

    /// <summary>When a job's notifications are due, and who holds them until when.</summary>
    private sealed record OutboxEntry(DateTimeOffset DueAt, Guid? Claimant = null, DateTimeOffset? LeaseUntil = null);
}
