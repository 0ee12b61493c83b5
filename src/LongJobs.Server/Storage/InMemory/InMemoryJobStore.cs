using System.Collections.Concurrent;
using System.Diagnostics;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>
/// The default <see cref="IJobStore"/>: jobs live in this process's memory. Besides the time-based sweep it
/// keeps at most <see cref="LongJobsOptions.MaxRetainedJobs"/> finished jobs at every moment, so memory stays
/// bounded however fast jobs arrive.
/// </summary>
internal sealed partial class InMemoryJobStore(IOptions<LongJobsOptions> options, TimeProvider time) : IJobStore
{
    private readonly ConcurrentDictionary<Guid, Entry> _jobs = new();
    private readonly ConcurrentQueue<Guid> _finishedInOrder = new();
    private readonly Dictionary<(string? Owner, string Key), Guid> _idempotencyKeys = [];
    private readonly Dictionary<(string Kind, string Key), Guid> _uniqueKeys = [];
    private readonly Lock _keysGate = new();
    private readonly Lock _trimGate = new();
    private readonly SortedSet<QueuePosition> _claimable = [];
    private readonly int _maxRetainedJobs = options.Value.MaxRetainedJobs;
    private readonly JobChangeWatchers _watchers = new();
    private int _finishedCount;
    private int _queuedCount;

    /// <summary>How many jobs of each kind are running, kept in step by <see cref="Add"/> and <see cref="Update"/>: a claim that limits a kind across servers reads it instead of every job.</summary>
    private readonly ConcurrentDictionary<string, int> _runningByKind = new(StringComparer.Ordinal);

    public bool IsDurable => false;

    /// <summary>When this store was created: every job it holds was created since.</summary>
    public DateTimeOffset? InMemorySince { get; } = time.GetUtcNow();

    /// <summary>How many jobs the store holds, in any status.</summary>
    public int Count => _jobs.Count;

    /// <summary>How many jobs are queued.</summary>
    public int QueuedCount => Volatile.Read(ref _queuedCount);

    /// <summary>How many <see cref="WatchChanges"/> watches are open.</summary>
    public int WatchCount => _watchers.Count;

    /// <summary>
    /// Applies <paramref name="change"/> to a job under its lock (it builds the next record, with the version it is
    /// given, in one copy; <see langword="null"/> for no change); with <paramref name="maintainQueue"/>, then keeps
    /// the queue's count and claim order in step with the job's status (a claim maintains them itself). The change
    /// takes its arguments in <paramref name="arguments"/>, so a static lambda needs no closure: a job's changes allocate
    /// only their records.
    /// </summary>
    /// <remarks>
    /// <paramref name="record"/>, when given, writes the change to the job's history (<see cref="IJobHistory"/>) under the
    /// same lock, before anyone waiting for the change wakes.
    /// </remarks>
    private JobRecord? Update<TArguments>(Guid id, TArguments arguments, Func<JobRecord, long, TArguments, JobRecord?> change, bool maintainQueue = true, Action<History, JobRecord, JobRecord, TArguments>? record = null)
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
            if (record is not null)
            {
                record(entry.History ??= new History(), before, after, arguments);
            }

            entry.Changed?.TrySetResult();
            entry.Changed = null;
        }

        if (before.Status == JobStatus.Scheduled && after.Status != JobStatus.Scheduled)
        {
            Unschedule(before);
        }

        if ((before.Status == JobStatus.Running) != (after.Status == JobStatus.Running))
        {
            CountRunning(after.Kind, after.Status == JobStatus.Running ? 1 : -1);
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

    private void CountRunning(string kind, int change) =>
        _runningByKind.AddOrUpdate(kind, static (_, change) => change, static (_, count, change) => count + change, change);

    /// <summary>The name this store gives the one server it serves, in the jobs' attempts.</summary>
    private static readonly string Node = Environment.MachineName;

    private static JobRecord Started(JobRecord job, DateTimeOffset startedAt, long version) =>
        job with { Status = JobStatus.Running, StartedAt = startedAt, Attempt = job.Attempt + 1, Progress = 0, ProgressMessage = null, Version = version };

    private static bool IsRunning(JobRecord job, int attempt) => job.Status == JobStatus.Running && job.Attempt == attempt;
    private sealed class Entry(JobRecord current)
    {
        public JobRecord Current { get; set; } = current;

        /// <summary>Completed at the job's next change; <see langword="null"/> while nobody waits.</summary>
        public TaskCompletionSource? Changed { get; set; }

        /// <summary>Whether the job was removed (retention): waiters stop waiting.</summary>
        public bool IsRemoved { get; set; }

        /// <summary>The job's attempts and log, guarded by the entry's lock; <see langword="null"/> until it starts or logs.</summary>
        public History? History { get; set; }
    }
}
