using System.Collections.Concurrent;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Storage;

/// <summary>
/// The default <see cref="IJobStore"/>: jobs live in this process's memory. Besides the time-based sweep it
/// keeps at most <see cref="LongJobsOptions.MaxRetainedJobs"/> finished jobs at every moment, so memory stays
/// bounded however fast jobs arrive.
/// </summary>
internal sealed class InMemoryJobStore(IOptions<LongJobsOptions> options) : IJobStore
{
    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();
    private readonly ConcurrentQueue<Guid> _finishedInOrder = new();
    private readonly Dictionary<string, Guid> _idempotencyKeys = new(StringComparer.Ordinal);
    private readonly Lock _trimGate = new();
    private readonly int _maxRetainedJobs = options.Value.MaxRetainedJobs;
    private int _finishedCount;

    /// <summary>How many jobs the store holds, in any status.</summary>
    public int Count => _jobs.Count;

    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var stored = job with { Status = JobStatus.Queued, Version = 1 };
        if (job.IdempotencyKey is not { } key)
        {
            Add(stored);
            return ValueTask.FromResult(stored);
        }

        lock (_idempotencyKeys)
        {
            if (_idempotencyKeys.TryGetValue(key, out var existingId) && _jobs.TryGetValue(existingId, out var existing))
            {
                return ValueTask.FromResult(existing.Current);
            }

            Add(stored);
            _idempotencyKeys[key] = stored.Id;
        }

        return ValueTask.FromResult(stored);
    }

    private void Add(JobRecord job)
    {
        if (!_jobs.TryAdd(job.Id, new Entry(job)))
        {
            throw new InvalidOperationException($"A job with ID '{job.Id}' already exists.");
        }
    }

    public ValueTask<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_jobs.TryGetValue(id, out var entry) ? entry.Current : null);

    public ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var matches = _jobs.Values
            .Select(entry => entry.Current)
            .Where(job => (query.Status is null || job.Status == query.Status)
                && (query.Kind is null || string.Equals(job.Kind, query.Kind, StringComparison.Ordinal))
                && (query.After is not { } after || IsAfter(job, after)))
            .OrderByDescending(job => job.CreatedAt)
            .ThenByDescending(job => job.Id)
            .Take(query.PageSize + 1)
            .Select(job => job with { Request = null, Result = null })
            .ToList();

        JobCursor? next = null;
        if (matches.Count > query.PageSize)
        {
            matches.RemoveAt(matches.Count - 1);
            var last = matches[^1];
            next = new JobCursor(last.CreatedAt, last.Id);
        }

        return ValueTask.FromResult(new JobPage(matches, next));
    }

    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, job => job.Status == JobStatus.Queued
            ? job with { Status = JobStatus.Running, StartedAt = startedAt }
            : null));

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, double progress, string? message, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, job => job.Status == JobStatus.Running
            ? job with { Progress = progress, ProgressMessage = message }
            : null));

    public ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, JobOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        var finished = Update(id, job => job.Status == expectedStatus && !expectedStatus.IsFinished()
            ? job with
            {
                Status = outcome.Status,
                CompletedAt = outcome.CompletedAt,
                Progress = outcome.Status == JobStatus.Succeeded ? 1 : job.Progress,
                Result = outcome.Result,
                Error = outcome.Error,
            }
            : null);

        if (finished is not null)
        {
            _finishedInOrder.Enqueue(id);
            if (Interlocked.Increment(ref _finishedCount) > _maxRetainedJobs)
            {
                Trim(DateTimeOffset.MinValue, _maxRetainedJobs);
            }
        }

        return ValueTask.FromResult(finished);
    }

    public ValueTask<JobRecord?> RequestCancellationAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var requested = Update(id, job => job.Status.IsFinished() || job.CancellationRequested ? null : job with { CancellationRequested = true });
        return ValueTask.FromResult(requested ?? (_jobs.TryGetValue(id, out var entry) ? entry.Current : null));
    }

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

                changed = entry.Changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    public ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        return ValueTask.FromResult(Trim(finishedBefore, keepAtMost));
    }

    private static bool IsAfter(JobRecord job, JobCursor cursor) =>
        job.CreatedAt < cursor.CreatedAt || (job.CreatedAt == cursor.CreatedAt && job.Id.CompareTo(cursor.Id) < 0);

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
        if (gone.Current.IdempotencyKey is { } key)
        {
            lock (_idempotencyKeys)
            {
                _idempotencyKeys.Remove(key);
            }
        }

        lock (gone)
        {
            gone.Changed.TrySetResult();
        }

        return true;
    }

    private JobRecord? Update(Guid id, Func<JobRecord, JobRecord?> change)
    {
        if (!_jobs.TryGetValue(id, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            var next = change(entry.Current);
            if (next is null)
            {
                return null;
            }

            entry.Current = next with { Version = entry.Current.Version + 1 };
            var changed = entry.Changed;
            entry.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
            return entry.Current;
        }
    }

    private sealed class Entry(JobRecord current)
    {
        public JobRecord Current { get; set; } = current;

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
