using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>
/// The removal of finished jobs (<see cref="IJobRetention"/>, and <see cref="IJobRecords.TryDeleteFinishedAsync"/>): by
/// time, by count at every moment (<see cref="LongJobsOptions.MaxRetainedJobs"/>), and one at a time.
/// </summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        return ValueTask.FromResult(Trim(finishedBefore, keepAtMost));
    }

    /// <summary>A finished job never becomes unfinished again: once seen finished, it may be removed without a lock.</summary>
    public ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_jobs.TryGetValue(id, out var entry) && entry.Current.Status.IsFinished() && TryRemoveFinished(id));

    /// <summary>
    /// Puts a job that just finished in the outbox, announces it, counts it, and keeps at most
    /// <see cref="LongJobsOptions.MaxRetainedJobs"/> finished jobs.
    /// </summary>
    private void OnFinished(JobRecord job)
    {
        if (job.UniqueKey is { } uniqueKey)
        {
            lock (_keysGate)
            {
                if (_uniqueKeys.TryGetValue((job.Kind, uniqueKey), out var holder) && holder == job.Id)
                {
                    _uniqueKeys.Remove((job.Kind, uniqueKey));
                }
            }
        }

        EnterOutbox(job);
        JobFinished?.Invoke(job);
        _finishedInOrder.Enqueue(job.Id);
        if (Interlocked.Increment(ref _finishedCount) > _maxRetainedJobs)
        {
            Trim(DateTimeOffset.MinValue, _maxRetainedJobs);
        }
    }

    /// <summary>Removes finished jobs oldest first while they are too many or finished too long ago.</summary>
    private int Trim(DateTimeOffset finishedBefore, int keepAtMost)
    {
        var removed = 0;
        lock (_trimGate)
        {
            while (_finishedInOrder.TryPeek(out var id))
            {
                if (_jobs.TryGetValue(id, out var entry)
                    && Volatile.Read(ref _finishedCount) <= keepAtMost
                    && entry.Current.CompletedAt >= finishedBefore)
                {
                    break;
                }

                _finishedInOrder.TryDequeue(out _);
                if (TryRemoveFinished(id))
                {
                    removed++;
                }
            }

            // Jobs are queued in the order their outcomes were recorded, which is not always the order of
            // their completion times: an expired job may wait behind one that has not expired yet.
            if (finishedBefore > DateTimeOffset.MinValue)
            {
                foreach (var (id, entry) in _jobs)
                {
                    var job = entry.Current;
                    if (job.Status.IsFinished() && job.CompletedAt < finishedBefore && TryRemoveFinished(id))
                    {
                        removed++;
                    }
                }
            }
        }

        return removed;
    }

    /// <summary>Removes a finished job, wakes its waiters, and uncounts it; its ID may stay queued and is skipped later.</summary>
    private bool TryRemoveFinished(Guid id)
    {
        if (!_jobs.TryRemove(id, out var gone))
        {
            return false;
        }

        Interlocked.Decrement(ref _finishedCount);
        if (gone.Current.Notifications is { IsEmpty: false })
        {
            LeaveOutbox(id);
        }

        if (gone.Current.IdempotencyKey is { } key)
        {
            lock (_keysGate)
            {
                _idempotencyKeys.Remove((gone.Current.Owner, key));
            }
        }

        lock (gone)
        {
            gone.IsRemoved = true;
            gone.Changed?.TrySetResult();
            gone.Changed = null;
        }

        _watchers.Announce(id);
        return true;
    }
}
