using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The jobs' records (<see cref="IJobRecords"/>): add, read, list, ask to cancel.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default) => ValueTask.FromResult(Insert(job, startedAt: null));

    public ValueTask<JobRecord> InsertStartedAsync(JobRecord job, DateTimeOffset startedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status == JobStatus.Scheduled)
        {
            throw new ArgumentException("A job scheduled for later does not start as it is added.", nameof(job));
        }

        return ValueTask.FromResult(Insert(job, PausedKinds()?.Contains(job.Kind) == true ? null : startedAt));
    }

    /// <summary>Adds <paramref name="job"/> as <see cref="InsertAsync"/> does, at once; started at <paramref name="startedAt"/> when one is given.</summary>
    private JobRecord Insert(JobRecord job, DateTimeOffset? startedAt)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.MaxAttempts);
        EnsureValidKeys(job);
        var status = InitialStatus(job);

        // A record made as it is to be stored (queued or scheduled, first version) is kept as it is: records are immutable.
        var notBefore = status == JobStatus.Scheduled ? job.NotBefore : null;
        var stored = startedAt is { } at ? Started(job with { Status = status, NotBefore = null, Attempt = 0 }, at, version: 1)
            : job.Status == status && job.NotBefore == notBefore && job is { Attempt: 0, Version: 1, StartedAt: null } ? job
            : job with { Status = status, NotBefore = notBefore, Attempt = 0, StartedAt = null, Version = 1 };
        if (job.IdempotencyKey is null && job.UniqueKey is null)
        {
            Add(stored);
            return stored;
        }

        lock (_keysGate)
        {
            if (KeyHolder(job) is { } existing)
            {
                return existing;
            }

            Add(stored);
            if (job.IdempotencyKey is { } idempotencyKey)
            {
                _idempotencyKeys[(job.Owner, idempotencyKey)] = stored.Id;
            }

            if (job.UniqueKey is { } uniqueKey)
            {
                _uniqueKeys[(job.Kind, uniqueKey)] = stored.Id;
            }
        }

        return stored;
    }

    /// <summary>
    /// The job that holds <paramref name="job"/>'s keys, under <see cref="_keysGate"/>: its owner's job with its idempotency
    /// key, or else an unfinished job of its kind with its unique key (a finished one has freed the key).
    /// </summary>
    private JobRecord? KeyHolder(JobRecord job)
    {
        if (job.IdempotencyKey is { } idempotencyKey
            && _idempotencyKeys.TryGetValue((job.Owner, idempotencyKey), out var keyedId)
            && _jobs.TryGetValue(keyedId, out var keyed))
        {
            return keyed.Current;
        }

        return job.UniqueKey is { } uniqueKey
            && _uniqueKeys.TryGetValue((job.Kind, uniqueKey), out var uniqueId)
            && _jobs.TryGetValue(uniqueId, out var unique)
            && unique.Current is { Status: var status } holder
            && !status.IsFinished()
                ? holder
                : null;
    }

    public async ValueTask<IReadOnlyList<JobRecord>> InsertManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var ids = new HashSet<Guid>(jobs.Count);
        foreach (var job in jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.MaxAttempts, nameof(jobs));
            EnsureValidKeys(job);
            InitialStatus(job);
            if (!ids.Add(job.Id) || _jobs.ContainsKey(job.Id))
            {
                throw new InvalidOperationException($"A job with ID '{job.Id}' already exists.");
            }
        }

        var stored = new JobRecord[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            stored[i] = await InsertAsync(jobs[i], cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }

    private void Add(JobRecord job)
    {
        var entry = new Entry(job);
        if (job.Status == JobStatus.Running)
        {
            // Started as it is added: its first attempt opens with it.
            RecordStart(entry.History = new History(), job, job, job.StartedAt!.Value);
        }

        if (!_jobs.TryAdd(job.Id, entry))
        {
            throw new InvalidOperationException($"A job with ID '{job.Id}' already exists.");
        }

        if (job.Status == JobStatus.Running)
        {
            CountRunning(job.Kind, 1);
        }

        if (job.Status == JobStatus.Scheduled)
        {
            Schedule(job);
        }
        else if (job.Status == JobStatus.Queued)
        {
            Enqueue(job);
        }

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
                && (query.CreatedAfter is not { } createdAfter || job.CreatedAt >= createdAfter)
                && (query.CreatedBefore is not { } createdBefore || job.CreatedAt < createdBefore)
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

    public ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default)
    {
        var requested = Update(id, canceledAt, static (job, version, canceledAt) => job.Status switch
        {
            JobStatus.Queued or JobStatus.Scheduled => job with { Status = JobStatus.Canceled, CompletedAt = canceledAt, CancellationRequested = true, Version = version },
            JobStatus.Running when !job.CancellationRequested => job with { CancellationRequested = true, Version = version },
            _ => null,
        });

        if (requested?.Status == JobStatus.Canceled)
        {
            OnFinished(requested);
        }

        return ValueTask.FromResult(requested ?? (_jobs.TryGetValue(id, out var entry) ? entry.Current : null));
    }

    /// <summary>
    /// An owner is a principal's identifier or nothing: <see cref="JobQuery.NoOwner"/> selects jobs without one. A unique
    /// key is as <see cref="Kinds.JobKindOptions.UniqueBy{TRequest}"/> computes one; a priority as a kind's may be.
    /// </summary>
    private static void EnsureValidKeys(JobRecord job)
    {
        if (job.Owner is { Length: 0 })
        {
            throw new ArgumentException("A job's owner is null or a non-empty identifier.", nameof(job));
        }

        if (job.UniqueKey is { Length: 0 or > Kinds.JobKindOptions.MaxUniqueKeyLength })
        {
            throw new ArgumentException($"A job's unique key is null or 1 to {Kinds.JobKindOptions.MaxUniqueKeyLength} characters.", nameof(job));
        }

        if (job.Priority is < Kinds.JobKindOptions.MinPriority or > Kinds.JobKindOptions.MaxPriority)
        {
            throw new ArgumentException($"A job's priority is from {Kinds.JobKindOptions.MinPriority} to {Kinds.JobKindOptions.MaxPriority}.", nameof(job));
        }
    }

    private static bool IsAfter(JobRecord job, JobCursor cursor) =>
        job.CreatedAt < cursor.CreatedAt || (job.CreatedAt == cursor.CreatedAt && job.Id.CompareTo(cursor.Id) < 0);
}
