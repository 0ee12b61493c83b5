using System.Collections.Concurrent;
using System.Diagnostics;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Storage;

/// <summary>
/// The default <see cref="IJobStore"/>: jobs live in this process's memory. Besides the time-based sweep it
/// keeps at most <see cref="LongJobsOptions.MaxRetainedJobs"/> finished jobs at every moment, so memory stays
/// bounded however fast jobs arrive.
/// </summary>
internal sealed class InMemoryJobStore(IOptions<LongJobsOptions> options, TimeProvider time) : IJobStore
{
    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();
    private readonly ConcurrentQueue<Guid> _finishedInOrder = new();
    private readonly Dictionary<(string? Owner, string Key), Guid> _idempotencyKeys = [];
    private readonly Lock _trimGate = new();
    private readonly SortedSet<QueuePosition> _claimable = [];
    private readonly int _maxRetainedJobs = options.Value.MaxRetainedJobs;
    private readonly JobChangeWatchers _watchers = new();
    private int _finishedCount;
    private int _queuedCount;

    public bool IsDurable => false;

    /// <summary>When this store was created: every job it holds was created since.</summary>
    public DateTimeOffset? InMemorySince { get; } = time.GetUtcNow();

    /// <summary>How many jobs the store holds, in any status.</summary>
    public int Count => _jobs.Count;

    /// <summary>How many jobs are queued.</summary>
    public int QueuedCount => Volatile.Read(ref _queuedCount);

    /// <summary>How many <see cref="WatchChanges"/> watches are open.</summary>
    public int WatchCount => _watchers.Count;

    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.MaxAttempts);
        EnsureOwnerNotEmpty(job);
        // A record made as it is to be stored (queued, first version) is kept as it is: records are immutable.
        var stored = job is { Status: JobStatus.Queued, Attempt: 0, Version: 1 } ? job : job with { Status = JobStatus.Queued, Attempt = 0, Version = 1 };
        if (job.IdempotencyKey is not { } idempotencyKey)
        {
            Add(stored);
            return ValueTask.FromResult(stored);
        }

        var key = (job.Owner, idempotencyKey);
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

        Enqueue(job);
        _watchers.Announce(job.Id);
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
                && (query.Owner is null || string.Equals(job.Owner ?? JobQuery.NoOwner, query.Owner, StringComparison.Ordinal))
                && (query.CompletedAfter is not { } completedAfter || job.CompletedAt >= completedAfter)
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

    public ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Math.Min(Volatile.Read(ref _queuedCount), countAtMost));

    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var claimed = new List<JobRecord>();
        lock (_claimable)
        {
            var taken = new List<QueuePosition>();
            foreach (var position in _claimable)
            {
                if (claimed.Count == limit)
                {
                    break;
                }

                if (!kinds.Contains(position.Kind))
                {
                    continue;
                }

                taken.Add(position);
                if (Update(position.Id, startedAt, static (job, version, startedAt) => job.Status == JobStatus.Queued ? Started(job, startedAt, version) : null, maintainQueue: false) is { } started)
                {
                    claimed.Add(started);
                }
            }

            foreach (var position in taken)
            {
                _claimable.Remove(position);
            }
        }

        Interlocked.Add(ref _queuedCount, -claimed.Count);
        return ValueTask.FromResult<IReadOnlyList<JobRecord>>(claimed);
    }

    /// <summary>No other server shares this store: nothing is ever queued behind the scheduler's back.</summary>
    public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, startedAt, static (job, version, startedAt) => job.Status == JobStatus.Queued ? Started(job, startedAt, version) : null));

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, (attempt, progress, message), static (job, version, report) => IsRunning(job, report.attempt)
            ? job with { Progress = report.progress, ProgressMessage = report.message, Version = version }
            : null));

    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, string message, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, (failedAttempt, message), static (job, version, next) => IsRunning(job, next.failedAttempt)
            ? job with { Attempt = next.failedAttempt + 1, Progress = 0, ProgressMessage = next.message, Version = version }
            : null));

    public ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var changed = Update(id, (attempt, message, at), static (job, version, requeue) => !IsRunning(job, requeue.attempt) ? null
            : job.CancellationRequested ? job with { Status = JobStatus.Canceled, CompletedAt = requeue.at, Version = version }
            : job with { Status = JobStatus.Queued, Progress = 0, ProgressMessage = requeue.message, Version = version });
        if (changed?.Status == JobStatus.Canceled)
        {
            OnFinished(changed);
        }

        return ValueTask.FromResult(changed);
    }

    public ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        var finished = Update(id, (expectedStatus, expectedAttempt, outcome), static (job, version, finish) => job.Status == finish.expectedStatus && !finish.expectedStatus.IsFinished() && job.Attempt == finish.expectedAttempt
            ? job with
            {
                Status = finish.outcome.Status,
                CompletedAt = finish.outcome.CompletedAt,
                Progress = finish.outcome.Status == JobStatus.Succeeded ? 1 : job.Progress,
                Result = finish.outcome.Result,
                Error = finish.outcome.Error,
                Version = version,
            }
            : null);

        if (finished is not null)
        {
            OnFinished(finished);
        }

        return ValueTask.FromResult(finished);
    }

    public ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default)
    {
        var requested = Update(id, canceledAt, static (job, version, canceledAt) => job.Status switch
        {
            JobStatus.Queued => job with { Status = JobStatus.Canceled, CompletedAt = canceledAt, CancellationRequested = true, Version = version },
            JobStatus.Running when !job.CancellationRequested => job with { CancellationRequested = true, Version = version },
            _ => null,
        });

        if (requested?.Status == JobStatus.Canceled)
        {
            OnFinished(requested);
        }

        return ValueTask.FromResult(requested ?? (_jobs.TryGetValue(id, out var entry) ? entry.Current : null));
    }

    public ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return ValueTask.FromResult(Update(id, delivery, static (job, version, delivery) => job with
        {
            Deliveries = [.. job.Deliveries.Where(other => other.Channel != delivery.Channel), delivery],
            Version = version,
        }));
    }

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

    public ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        return ValueTask.FromResult(Trim(finishedBefore, keepAtMost));
    }

    /// <summary>A finished job never becomes unfinished again: once seen finished, it may be removed without a lock.</summary>
    public ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_jobs.TryGetValue(id, out var entry) && entry.Current.Status.IsFinished() && TryRemoveFinished(id));

    /// <summary>An owner is a principal's identifier or nothing: <see cref="JobQuery.NoOwner"/> selects jobs without one.</summary>
    private static void EnsureOwnerNotEmpty(JobRecord job)
    {
        if (job.Owner is { Length: 0 })
        {
            throw new ArgumentException("A job's owner is null or a non-empty identifier.", nameof(job));
        }
    }

    private static JobRecord Started(JobRecord job, DateTimeOffset startedAt, long version) =>
        job with { Status = JobStatus.Running, StartedAt = startedAt, Attempt = job.Attempt + 1, Progress = 0, ProgressMessage = null, Version = version };

    private static bool IsRunning(JobRecord job, int attempt) => job.Status == JobStatus.Running && job.Attempt == attempt;

    /// <summary>
    /// Announces a job that just finished, counts it, and keeps at most <see cref="LongJobsOptions.MaxRetainedJobs"/>
    /// finished jobs.
    /// </summary>
    private void OnFinished(JobRecord job)
    {
        JobFinished?.Invoke(job);
        _finishedInOrder.Enqueue(job.Id);
        if (Interlocked.Increment(ref _finishedCount) > _maxRetainedJobs)
        {
            Trim(DateTimeOffset.MinValue, _maxRetainedJobs);
        }
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

    /// <summary>
    /// Applies <paramref name="change"/> to a job under its lock (it builds the next record, with the version it is
    /// given, in one copy; <see langword="null"/> for no change); with <paramref name="maintainQueue"/>, then keeps
    /// the queue's count and claim order in step with the job's status (a claim maintains them itself). The change
    /// takes its arguments in <paramref name="arguments"/>, so a static lambda needs no closure: a job's changes allocate
    /// only their records.
    /// </summary>
    private JobRecord? Update<TArguments>(Guid id, TArguments arguments, Func<JobRecord, long, TArguments, JobRecord?> change, bool maintainQueue = true)
    {
        if (!_jobs.TryGetValue(id, out var entry))
        {
            return null;
        }

        JobRecord before, after;
        lock (entry)
        {
            before = entry.Current;
            var next = change(before, before.Version + 1, arguments);
            if (next is null)
            {
                return null;
            }

            Debug.Assert(next.Version == before.Version + 1, "A change builds the job's next version.");
            after = entry.Current = next;
            entry.Changed?.TrySetResult();
            entry.Changed = null;
        }

        if (maintainQueue && (before.Status == JobStatus.Queued) != (after.Status == JobStatus.Queued))
        {
            if (after.Status == JobStatus.Queued)
            {
                Enqueue(after);
            }
            else
            {
                Dequeue(before);
            }
        }

        _watchers.Announce(id);
        return after;
    }

    /// <summary>Counts a job that became queued and, when any server with its kind may run it, makes it claimable.</summary>
    private void Enqueue(JobRecord job)
    {
        Interlocked.Increment(ref _queuedCount);
        if (job.Request is not null)
        {
            lock (_claimable)
            {
                _claimable.Add(new QueuePosition(job.CreatedAt, job.Id, job.Kind));
            }
        }
    }

    private void Dequeue(JobRecord job)
    {
        Interlocked.Decrement(ref _queuedCount);
        if (job.Request is not null)
        {
            lock (_claimable)
            {
                _claimable.Remove(new QueuePosition(job.CreatedAt, job.Id, job.Kind));
            }
        }
    }

    /// <summary>A claimable job's place in the queue: oldest first.</summary>
    private readonly record struct QueuePosition(DateTimeOffset CreatedAt, Guid Id, string Kind) : IComparable<QueuePosition>
    {
        public int CompareTo(QueuePosition other)
        {
            var byTime = CreatedAt.CompareTo(other.CreatedAt);
            return byTime != 0 ? byTime : Id.CompareTo(other.Id);
        }
    }

    private sealed class Entry(JobRecord current)
    {
        public JobRecord Current { get; set; } = current;

        /// <summary>Completed at the job's next change; <see langword="null"/> while nobody waits.</summary>
        public TaskCompletionSource? Changed { get; set; }

        /// <summary>Whether the job was removed (retention): waiters stop waiting.</summary>
        public bool IsRemoved { get; set; }
    }
}
