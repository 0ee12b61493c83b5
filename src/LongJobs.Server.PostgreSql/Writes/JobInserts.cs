using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.PostgreSql.Changes;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Reads;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Writes;

/// <summary>
/// Adds jobs: single starts coalesced into one statement per flush (<see cref="GroupCommit{TItem, TResult}"/>), bulk
/// starts in statements of up to <see cref="MaxRowsPerStatement"/> rows. A statement returns only the IDs and statuses
/// of the rows it inserted: each such item is answered with the row it sent (see <see cref="RowOf"/>). An item the
/// statement did not insert (its owner's idempotency key, its kind's unique key or its ID was taken) is resolved alone:
/// it gets the job with its key, or its own row when an attempt whose answer was lost had inserted it, or else the error
/// that its ID is not new.
/// </summary>
internal sealed class JobInserts
{
    /// <summary>The most jobs one statement inserts: within PostgreSQL's limits, and enough to amortise the round trip.</summary>
    internal const int MaxRowsPerStatement = 5_000;

    /// <summary>The most single starts one flush coalesces.</summary>
    internal const int MaxCoalesced = 500;

    private readonly JobDatabase _database;
    private readonly JobReads _reads;
    private readonly JobChangeListener _changes;
    private readonly string _node;
    private readonly TimeSpan _leaseDuration;
    private readonly GroupCommit<JobRecord, JobRecord?> _singles;

    public JobInserts(JobDatabase database, JobReads reads, JobChangeListener changes, string node, TimeSpan leaseDuration)
    {
        _database = database;
        _reads = reads;
        _changes = changes;
        _node = node;
        _leaseDuration = leaseDuration;
        _singles = new(jobs => InsertRowsAsync(jobs, CancellationToken.None), static job => job.Id, MaxCoalesced, DatabaseFailures.IsRejectedValue);
    }

    /// <summary>Adds one job, queued or scheduled, in the next flush of concurrent starts.</summary>
    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return InsertOneAsync(Unstarted(job), cancellationToken);
    }

    /// <summary>
    /// Adds one job started on this node at <paramref name="startedAt"/> (queued, when its kind is paused), in the next
    /// flush of concurrent starts: the statement that inserts it starts it.
    /// </summary>
    public ValueTask<JobRecord> InsertStartedAsync(JobRecord job, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status == JobStatus.Scheduled)
        {
            throw new ArgumentException("A job scheduled for later does not start as it is added.", nameof(job));
        }

        return InsertOneAsync(job with { Status = JobStatus.Running, StartedAt = startedAt }, cancellationToken);
    }

    /// <summary>Adds one job, in the next flush of concurrent starts; a <see cref="JobStatus.Running"/> one starts at its <see cref="JobRecord.StartedAt"/>.</summary>
    private async ValueTask<JobRecord> InsertOneAsync(JobRecord job, CancellationToken cancellationToken)
    {
        Validate(job);
        Track(job);
        JobRecord? inserted;
        try
        {
            inserted = await _singles.WriteAsync(RowOf(job), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _changes.KnownStates.Forget(job.Id);
            throw;
        }

        return Tracked(job, inserted) ?? await ResolveAsync(job, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds many jobs, in as few statements as their number allows.</summary>
    public async ValueTask<IReadOnlyList<JobRecord>> InsertManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var ids = new HashSet<Guid>(jobs.Count);
        foreach (var job in jobs)
        {
            ArgumentNullException.ThrowIfNull(job, nameof(jobs));
            Validate(job);
            if (!ids.Add(job.Id))
            {
                throw new ArgumentException($"The job ID '{job.Id}' is in the batch more than once.", nameof(jobs));
            }
        }

        // Each statement commits on its own: once one has, the call goes on whatever the caller's token says, and a
        // later failure says the store may have changed (the caller reads back what was stored).
        var stored = new JobRecord[jobs.Count];
        for (var start = 0; start < jobs.Count; start += MaxRowsPerStatement)
        {
            var token = start == 0 ? cancellationToken : CancellationToken.None;
            var rows = new JobRecord[Math.Min(MaxRowsPerStatement, jobs.Count - start)];
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = RowOf(Unstarted(jobs[start + i]));
                Track(rows[i]);
            }

            try
            {
                var inserted = await InsertRowsAsync(rows, token).ConfigureAwait(false);
                for (var i = 0; i < rows.Length; i++)
                {
                    stored[start + i] = Tracked(rows[i], inserted[i]) ?? await ResolveAsync(rows[i], token).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (start > 0 && exception is not JobStoreUnavailableException { MayHaveChanged: true })
            {
                Forget(rows);
                throw new JobStoreUnavailableException($"Only the first {start:N0} of {jobs.Count:N0} jobs are known to be stored: {exception.Message}", exception);
            }
            catch
            {
                Forget(rows);
                throw;
            }
        }

        return stored;
    }

    /// <summary><paramref name="job"/> to be added queued (or scheduled): a new job has not started, whatever its status says.</summary>
    private static JobRecord Unstarted(JobRecord job) => job.Status == JobStatus.Running ? job with { Status = JobStatus.Queued } : job;

    /// <summary>Throws when <paramref name="job"/> is not a new job a statement may insert.</summary>
    internal static void Validate(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.MaxAttempts);
        if (job.Owner is { Length: 0 })
        {
            throw new ArgumentException("A job's owner is null or a non-empty identifier.", nameof(job));
        }

        if (job.UniqueKey is { Length: 0 or > JobKindOptions.MaxUniqueKeyLength })
        {
            throw new ArgumentException($"A job's unique key is null or 1 to {JobKindOptions.MaxUniqueKeyLength} characters.", nameof(job));
        }

        if (job.Priority is < JobKindOptions.MinPriority or > JobKindOptions.MaxPriority)
        {
            throw new ArgumentException($"A job's priority is from {JobKindOptions.MinPriority} to {JobKindOptions.MaxPriority}.", nameof(job));
        }

        if (job is { Status: JobStatus.Scheduled, NotBefore: null })
        {
            throw new ArgumentException("A scheduled job needs the time it runs at (NotBefore).", nameof(job));
        }
    }

    /// <summary>
    /// A claimable job may get a follower on this node (a handle started here, waiting for whichever node runs it):
    /// tracked from before the insert, it need not read the job it just inserted.
    /// </summary>
    private void Track(JobRecord job)
    {
        if (job.Request is not null)
        {
            _changes.KnownStates.Expect(job.Id);
        }
    }

    /// <summary>Stops tracking the jobs of a statement that failed.</summary>
    private void Forget(JobRecord[] rows)
    {
        foreach (var row in rows)
        {
            _changes.KnownStates.Forget(row.Id);
        }
    }

    /// <summary>
    /// Records the version a claimable job was inserted in, or forgets it when it was not inserted, or was started as it
    /// was (it has no follower here, as a claimed job has none); returns <paramref name="inserted"/>.
    /// </summary>
    private JobRecord? Tracked(JobRecord job, JobRecord? inserted)
    {
        if (job.Request is not null)
        {
            if (inserted is { Status: not JobStatus.Running })
            {
                _changes.KnownStates.Known(job.Id, inserted.Version);
            }
            else
            {
                _changes.KnownStates.Forget(job.Id);
            }
        }

        return inserted;
    }

    /// <summary>
    /// Answers a job its statement did not insert. Its owner's idempotency key, or its kind's unique key, was taken: the
    /// conflicting insert has committed (the statement waited for it), and a new statement's snapshot sees it. Its ID was taken: by this very job, when
    /// an attempt whose answer was lost had inserted it; otherwise the caller's ID was not new. Neither (the job with
    /// the key was removed meanwhile): it is inserted again.
    /// </summary>
    private async Task<JobRecord> ResolveAsync(JobRecord job, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (job.IdempotencyKey is not null
                && await _database.QueryJobAsync("GetJobByIdempotencyKey", Repeat.Safe, cancellationToken, Parameter.Text("idempotency_key", job.IdempotencyKey), Parameter.Text("owner", job.Owner)).ConfigureAwait(false) is { } keyed)
            {
                return keyed;
            }

            if (job.UniqueKey is not null
                && await _database.QueryJobAsync("GetJobByUniqueKey", Repeat.Safe, cancellationToken, Parameter.Text("kind", job.Kind), Parameter.Text("unique_key", job.UniqueKey)).ConfigureAwait(false) is { } unique)
            {
                return unique;
            }

            if (await _reads.ReadAsync(job.Id, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return IsSameInsert(stored, job) ? stored : throw new InvalidOperationException($"A job with ID '{job.Id}' already exists.");
            }

            Track(job);
            IReadOnlyList<JobRecord?> again;
            try
            {
                again = await InsertRowsAsync([RowOf(job)], cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _changes.KnownStates.Forget(job.Id);
                throw;
            }

            if (Tracked(job, again[0]) is { } inserted)
            {
                return inserted;
            }
        }
    }

    /// <summary>Whether <paramref name="stored"/> is the row that inserting <paramref name="job"/> wrote (timestamps are kept to the microsecond).</summary>
    private static bool IsSameInsert(JobRecord stored, JobRecord job) =>
        stored.Kind == job.Kind
        && stored.Owner == job.Owner
        && stored.IdempotencyKey == job.IdempotencyKey
        && (stored.CreatedAt - job.CreatedAt).Duration() < TimeSpan.FromMicroseconds(1);

    /// <summary>
    /// Inserts <paramref name="rows"/> (each as <see cref="RowOf"/> made it) in one statement; answers each its row as
    /// stored, or <see langword="null"/> when it was not inserted. Rows without keys go first in a statement without ON
    /// CONFLICT (<c>InsertJobsWithoutKeys</c>, or <c>InsertUnstartedJobsWithoutKeys</c> when none starts): all are
    /// inserted, or, when an ID was taken, none, and then they go as the others do (<c>InsertJobs</c>). Safe to repeat
    /// after an attempt whose outcome is unknown: the repeat inserts nothing that the first inserted, and each such job is
    /// resolved.
    /// </summary>
    private async Task<IReadOnlyList<JobRecord?>> InsertRowsAsync(IReadOnlyList<JobRecord> rows, CancellationToken cancellationToken)
    {
        Dictionary<Guid, JobStatus>? inserted = null;
        if (rows.All(static row => row is { IdempotencyKey: null, UniqueKey: null }))
        {
            try
            {
                if (!rows.Any(static row => row.Status == JobStatus.Running))
                {
                    await _database.ExecuteAsync("InsertUnstartedJobsWithoutKeys", Repeat.Safe, static (command, token) => command.ExecuteNonQueryAsync(token), cancellationToken, Parameters(rows)).ConfigureAwait(false);
                    return rows;
                }

                inserted = await _database.ExecuteAsync("InsertJobsWithoutKeys", Repeat.Safe, ReadStatusesAsync, cancellationToken, Parameters(rows)).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // An ID was taken, by an attempt whose answer was lost or by another job: the statement inserted nothing.
            }
        }

        inserted ??= await _database.ExecuteAsync("InsertJobs", Repeat.Safe, ReadStatusesAsync, cancellationToken, Parameters(rows)).ConfigureAwait(false);
        var answers = new JobRecord?[rows.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = inserted.TryGetValue(rows[i].Id, out var status) ? AsStored(rows[i], status) : null;
        }

        return answers;
    }

    private static async Task<Dictionary<Guid, JobStatus>> ReadStatusesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var statuses = new Dictionary<Guid, JobStatus>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            statuses.Add(reader.GetGuid(0), Enum.Parse<JobStatus>(reader.GetString(1)));
        }

        return statuses;
    }

    /// <summary>
    /// <paramref name="row"/> as stored in <paramref name="status"/>: as sent, but a job sent started that was stored
    /// queued (its kind is paused) has not started.
    /// </summary>
    private static JobRecord AsStored(JobRecord row, JobStatus status) =>
        row.Status == status ? row : row with { Status = status, Attempt = 0, StartedAt = null };

    /// <summary>
    /// The row that inserting <paramref name="job"/> writes, as reading it back gives it: the columns the insert sets from
    /// the job, the others at their defaults (a new job has made no progress, has no result, is in version 1), and its
    /// times in UTC and whole microseconds, as the database keeps them (sent so, they are stored exactly so). A
    /// <see cref="JobStatus.Running"/> job is started at its <see cref="JobRecord.StartedAt"/>, in its first attempt.
    /// </summary>
    private static JobRecord RowOf(JobRecord job)
    {
        var started = job.Status == JobStatus.Running;
        return new JobRecord
        {
            Id = job.Id,
            Kind = job.Kind,
            Status = job.Status is JobStatus.Scheduled or JobStatus.Running ? job.Status : JobStatus.Queued,
            Attempt = started ? 1 : 0,
            StartedAt = started ? ToMicroseconds(job.StartedAt!.Value) : null,
            CreatedAt = ToMicroseconds(job.CreatedAt),
            NotBefore = job.Status == JobStatus.Scheduled ? ToMicroseconds(job.NotBefore!.Value) : null,
            Request = job.Request?.Clone(),
            Owner = job.Owner,
            IdempotencyKey = job.IdempotencyKey,
            Priority = job.Priority,
            UniqueKey = job.UniqueKey,
            MaxAttempts = job.MaxAttempts,
            Notifications = job.Notifications is { IsEmpty: false } notifications ? notifications : null,
            TraceParent = job.TraceParent,
            RetryOf = job.RetryOf,
            Version = 1,
        };
    }

    private static DateTimeOffset ToMicroseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>
    /// The parameters of the insert statements for <paramref name="jobs"/>.
    /// A column that no job has a value for (an owner, keys, a trace, a time to run at, a start: most jobs have none) goes as an
    /// empty array: unnest pads the shorter arrays with NULLs, and the database then unpacks no array of thousands of NULLs.
    /// </summary>
    private NpgsqlParameter[] Parameters(IReadOnlyList<JobRecord> jobs) =>
    [
        Parameter.Uuids("ids", jobs.Select(job => job.Id)),
        Parameter.Texts("kinds", jobs.Select(job => job.Kind)),
        Parameter.Timestamps("created_ats", jobs.Select(job => (DateTimeOffset?)job.CreatedAt)),
        Parameter.Jsons("requests", UnlessNone(jobs, job => job.Request)),
        Parameter.NullableTexts("owners", UnlessNone(jobs, job => job.Owner)),
        Parameter.NullableTexts("idempotency_keys", UnlessNone(jobs, job => job.IdempotencyKey)),
        Parameter.NullableTexts("unique_keys", UnlessNone(jobs, job => job.UniqueKey)),
        Parameter.Integers("priorities", jobs.Select(job => job.Priority)),
        Parameter.NullableUuids("retry_ofs", UnlessNone(jobs, job => job.RetryOf)),
        Parameter.Integers("max_attempts", jobs.Select(job => job.MaxAttempts)),
        Parameter.Jsons("notifications", UnlessNone(jobs, job => job.Notifications is { IsEmpty: false } notifications ? JobRows.ToStoredJson(notifications) : (JsonElement?)null)),
        Parameter.NullableTexts("trace_parents", UnlessNone(jobs, job => job.TraceParent)),
        Parameter.Timestamps("not_befores", UnlessNone(jobs, job => job.Status == JobStatus.Scheduled ? job.NotBefore : null)),
        Parameter.Timestamps("started_ats", UnlessNone(jobs, job => job.Status == JobStatus.Running ? job.StartedAt : null)),
        Parameter.Text("node", _node),
        Parameter.Interval("lease", _leaseDuration),
    ];

    /// <summary>Each job's value of a nullable column, or none at all when every value is <see langword="null"/>.</summary>
    private static IEnumerable<T> UnlessNone<T>(IReadOnlyList<JobRecord> jobs, Func<JobRecord, T> value) =>
        jobs.Any(job => value(job) is not null) ? jobs.Select(value) : [];
}
