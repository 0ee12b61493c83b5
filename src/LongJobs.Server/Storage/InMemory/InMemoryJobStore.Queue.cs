using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The queued jobs (<see cref="IQueuedJobs"/>): the count, and the claim order of jobs any server with their kind may run.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Math.Min(Volatile.Read(ref _queuedCount), countAtMost));

    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, IReadOnlyDictionary<string, int>? runningLimits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var claimed = new List<JobRecord>();
        var paused = PausedKinds();
        lock (_claimable)
        {
            // Under the claim's lock no other claim starts a job, so the room counted stays right until this one ends.
            var room = RoomOf(runningLimits, kinds);
            var taken = new List<QueuePosition>();
            foreach (var position in _claimable)
            {
                if (claimed.Count == limit)
                {
                    break;
                }

                if (!kinds.Contains(position.Kind) || paused?.Contains(position.Kind) == true || room?.GetValueOrDefault(position.Kind, int.MaxValue) <= 0)
                {
                    continue;
                }

                if (room is not null && room.TryGetValue(position.Kind, out var left))
                {
                    room[position.Kind] = left - 1;
                }

                taken.Add(position);
                if (Update(position.Id, startedAt, static (job, version, startedAt) => job.Status == JobStatus.Queued ? Started(job, startedAt, version) : null, maintainQueue: false, RecordStart) is { } started)
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

    /// <summary>How many more jobs of each limited kind among <paramref name="kinds"/> may start: its limit less its running jobs.</summary>
    private Dictionary<string, int>? RoomOf(IReadOnlyDictionary<string, int>? runningLimits, IReadOnlyCollection<string> kinds)
    {
        if (runningLimits is null || !kinds.Any(runningLimits.ContainsKey))
        {
            return null;
        }

        return runningLimits.Where(limit => kinds.Contains(limit.Key))
            .ToDictionary(limit => limit.Key, limit => limit.Value - _runningByKind.GetValueOrDefault(limit.Key), StringComparer.Ordinal);
    }

    /// <summary>No other server shares this store: nothing is ever queued behind the scheduler's back.</summary>
    public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    public ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var changed = Update(id, (attempt, message, at), static (job, version, requeue) => !IsRunning(job, requeue.attempt) ? null
            : job.CancellationRequested ? job with { Status = JobStatus.Canceled, CompletedAt = requeue.at, Version = version }
            : job with { Status = JobStatus.Queued, Progress = 0, ProgressMessage = requeue.message, Version = version },
            record: static (history, before, after, requeue) => RecordEnd(history, before, after, requeue.at, error: null));
        if (changed?.Status == JobStatus.Canceled)
        {
            OnFinished(changed);
        }

        return ValueTask.FromResult(changed);
    }

    /// <summary>Counts a job that became queued and, when any server with its kind may run it, makes it claimable.</summary>
    private void Enqueue(JobRecord job)
    {
        Interlocked.Increment(ref _queuedCount);
        if (job.Request is not null)
        {
            lock (_claimable)
            {
                _claimable.Add(QueuePosition.Of(job));
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
                _claimable.Remove(QueuePosition.Of(job));
            }
        }
    }

    /// <summary>A claimable job's place in the queue: by creation time less a minute per level of priority, then by ID.</summary>
    private readonly record struct QueuePosition(DateTimeOffset ClaimAt, Guid Id, string Kind) : IComparable<QueuePosition>
    {
        public static QueuePosition Of(JobRecord job) => new(job.ClaimAt, job.Id, job.Kind);

        public int CompareTo(QueuePosition other)
        {
            var byTime = ClaimAt.CompareTo(other.ClaimAt);
            return byTime != 0 ? byTime : Id.CompareTo(other.Id);
        }
    }
}
