using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Changes;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Leases;
using LongJobs.Server.PostgreSql.Reads;
using LongJobs.Server.PostgreSql.Retention;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Writes;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// An <see cref="IJobStore"/> in a PostgreSQL database that many server instances share. Every change is one
/// guarded statement (its <c>WHERE</c> names the expected status), and a trigger announces it with
/// <c>NOTIFY</c>, so waiters on every node wake within milliseconds; a slow re-read covers lost notifications.
/// Statements run through <see cref="JobDatabase"/> (retries, the schema, the pool); their SQL is in <c>Sql/</c>.
/// Concurrent starts, finishes, progress reports and reads are coalesced into one statement per flush (<see cref="JobInserts"/>,
/// <see cref="JobFinishes"/>, <see cref="ProgressReports"/>, <see cref="JobReads"/>), each row still guarded on its own.
/// It implements every role of the contract (<see cref="IJobRecords"/>, <see cref="IQueuedJobs"/>,
/// <see cref="IJobAttempts"/>, <see cref="IJobHistory"/>, <see cref="IJobChangeFeed"/>, <see cref="IJobDeliveryLog"/>, <see cref="IJobOutbox"/>,
/// <see cref="IJobRetention"/>, <see cref="IJobStoreDurability"/>) through the aggregate; leases stay inside it
/// (<see cref="JobLeases"/>). A trigger puts every job that finishes with notifications into the outbox, whichever
/// statement finishes it.
/// </summary>
internal sealed partial class PostgreSqlJobStore : IJobStore, IAsyncDisposable
{
    private readonly JobDatabase _database;
    private readonly JobChangeListener _changes;
    private readonly FinishedJobSweep _sweep;
    private readonly JobLeases _leases;
    private readonly JobReads _reads;
    private readonly JobInserts _inserts;
    private readonly JobFinishes _finishes;
    private readonly ProgressReports _progress;
    private readonly TimeProvider _time;
    private readonly string _node;
    private readonly TimeSpan _leaseDuration;
    private readonly LocalClaims _claims = new();
    private int _disposed;

    /// <summary>Creates the store on the pool that <paramref name="options"/> name, or else on the application's <paramref name="dataSource"/>.</summary>
    /// <param name="options">The store's options: a connection string (the store makes its own pool) or the application's data source.</param>
    /// <param name="time">Times leases, retries and waits.</param>
    /// <param name="logger">Logs migrations and failures of the store's background work.</param>
    /// <param name="dataSource">The application's data source registered in DI, used when the options name none.</param>
    public PostgreSqlJobStore(IOptions<PostgreSqlJobStoreOptions> options, TimeProvider time, ILogger<PostgreSqlJobStore> logger, NpgsqlDataSource? dataSource = null)
    {
        var settings = options.Value;
        var (pool, ownsPool) = settings.DataSource is { } given ? (given, false)
            : !string.IsNullOrWhiteSpace(settings.ConnectionString) ? (JobDatabase.CreateDataSource(settings.ConnectionString), true)
            : dataSource is not null ? (dataSource, false)
            : throw new InvalidOperationException(PostgreSqlJobStoreOptions.NoDataSourceMessage);
        var sql = new SqlScripts(settings.Schema);
        _database = new JobDatabase(pool, ownsPool, sql, time, settings.RetryTimeout, logger);
        _changes = new JobChangeListener(pool, sql.Channel, time, _database.Availability, logger);
        _sweep = new FinishedJobSweep(_database);
        _leases = new JobLeases(_database, job => Finished(job));
        _reads = new JobReads(_database);
        _inserts = new JobInserts(_database, _reads, _changes, settings.NodeName, settings.LeaseDuration);
        _finishes = new JobFinishes(_database);
        _progress = new ProgressReports(_database);
        _time = time;
        _node = settings.NodeName;
        _leaseDuration = settings.LeaseDuration;
    }

    /// <summary>The pool the store runs on: its own, or the application's.</summary>
    internal NpgsqlDataSource DataSource => _database.DataSource;

    /// <summary>The leases of running jobs: what the heartbeat renews, and how jobs of lost nodes are recovered.</summary>
    internal JobLeases Leases => _leases;

    /// <summary>Whether the database serves the store, as its calls and loops find out; logs the outages.</summary>
    internal DatabaseAvailability Availability => _database.Availability;

    /// <summary>The store's change listener, which tests observe.</summary>
    internal JobChangeListener Changes => _changes;

    /// <summary>Jobs outlive every node, and any node with a job's kind may run it.</summary>
    public bool IsDurable => true;

    /// <summary>Jobs are kept in the database: a restart loses none.</summary>
    public DateTimeOffset? InMemorySince => null;

    /// <summary>
    /// Creates or upgrades the schema, as the host starts. Throws <see cref="JobStoreUnavailableException"/> while
    /// the database cannot serve the store (out of reach, rejecting the credentials, missing); the first operation
    /// that it serves migrates then.
    /// </summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => _database.MigrateAsync(cancellationToken);

    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default) => _inserts.InsertAsync(job, cancellationToken);

    public ValueTask<JobRecord> InsertStartedAsync(JobRecord job, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        _inserts.InsertStartedAsync(job, startedAt, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> InsertManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default) =>
        _inserts.InsertManyAsync(jobs, cancellationToken);

    public ValueTask<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        new(_reads.ReadAsync(id, cancellationToken));

    public async ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var jobs = await _database.QueryJobsAsync(
            "ListJobs",
            Repeat.Safe,
            cancellationToken,
            Parameter.Text("status", query.Status?.ToString()),
            Parameter.Text("kind", query.Kind),
            Parameter.Text("owner", query.Owner),
            Parameter.Timestamp("completed_after", query.CompletedAfter),
            Parameter.Timestamp("created_after", query.CreatedAfter),
            Parameter.Timestamp("created_before", query.CreatedBefore),
            Parameter.Timestamp("after_created_at", query.After?.CreatedAt),
            Parameter.Uuid("after_id", query.After?.Id),
            Parameter.Integer("limit", query.PageSize + 1)).ConfigureAwait(false);

        JobCursor? next = null;
        if (jobs.Count > query.PageSize)
        {
            jobs.RemoveAt(jobs.Count - 1);
            next = new JobCursor(jobs[^1].CreatedAt, jobs[^1].Id);
        }

        return new JobPage(jobs, next);
    }

    public async ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync(
            "GetNextDueTime",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteScalarAsync(token).ConfigureAwait(false) is DateTime due ? new DateTimeOffset(due, TimeSpan.Zero) : (DateTimeOffset?)null,
            cancellationToken).ConfigureAwait(false);

    public async ValueTask<int> QueueDueJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await _database.ExecuteAsync(
            "QueueDueJobs",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Timestamp("now", now),
            Parameter.Integer("limit", limit)).ConfigureAwait(false);
    }

    public Task WaitForScheduledJobsAsync(CancellationToken cancellationToken) => _changes.NextScheduled().WaitAsync(cancellationToken);

    public async ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync(
            "CountQueuedJobs",
            Repeat.Safe,
            static async (command, token) => (int)(await command.ExecuteScalarAsync(token).ConfigureAwait(false))!,
            cancellationToken,
            Parameter.Integer("count_at_most", countAtMost)).ConfigureAwait(false);

    public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => _changes.NextQueued().WaitAsync(cancellationToken);

    /// <summary>The IDs of running jobs someone asked to cancel, through any node, as the requests are made.</summary>
    internal System.Threading.Channels.ChannelReader<Guid> CancellationRequests => _changes.CancellationRequests;

    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        new(_database.QueryJobAsync("TryStartJob", Repeat.OnlyIfUnsent, cancellationToken, [Parameter.Uuid("id", id), .. StartedHere(startedAt)]));

    /// <summary>A job starts on this node at <paramref name="startedAt"/>, which holds it under a lease from then on.</summary>
    private NpgsqlParameter[] StartedHere(DateTimeOffset startedAt) =>
        [Parameter.Timestamp("started_at", startedAt), Parameter.Text("node", _node), Parameter.Timestamp("lease_expires_at", startedAt + _leaseDuration)];

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default) =>
        new(_progress.TryReportAsync(id, attempt, progress, message, cancellationToken));

    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, JobRetry retry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(retry);
        return new(_database.QueryJobAsync(
            "TryStartNextAttempt",
            Repeat.OnlyIfUnsent,
            cancellationToken,
            Parameter.Uuid("id", id),
            Parameter.Integer("failed_attempt", failedAttempt),
            Parameter.Text("message", retry.Message),
            Parameter.Timestamp("failed_at", retry.FailedAt),
            Parameter.Timestamp("next_starts_at", retry.NextStartsAt),
            Parameter.Json("error", retry.Error is { } error ? JobRows.ToStoredJson(error) : null)));
    }

    public async ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        Finished(await _database.QueryJobAsync(
            "TryRequeueJob",
            Repeat.OnlyIfUnsent,
            cancellationToken,
            Parameter.Uuid("id", id),
            Parameter.Integer("attempt", attempt),
            Parameter.Text("message", message),
            Parameter.Timestamp("at", at),
            Parameter.Text("node", _node)).ConfigureAwait(false));

    public async ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default) =>
        Finished(await _finishes.TryFinishAsync(id, expectedStatus, expectedAttempt, outcome, cancellationToken).ConfigureAwait(false));

    public async ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default) =>
        Finished(await _database.QueryJobAsync("RequestCancellation", Repeat.OnlyIfUnsent, cancellationToken, Parameter.Uuid("id", id), Parameter.Timestamp("canceled_at", canceledAt)).ConfigureAwait(false))
        ?? await GetAsync(id, cancellationToken).ConfigureAwait(false);

    // Safe to repeat: a repeat replaces the channel's record with the same one.
    public async ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return await _database.QueryJobAsync(
            "RecordDelivery",
            Repeat.Safe,
            cancellationToken,
            Parameter.Uuid("id", id),
            Parameter.Text("channel", delivery.Channel),
            Parameter.Json("delivery", JobRows.ToStoredJson(delivery))).ConfigureAwait(false);
    }

    // Not safe to repeat: the jobs a claim whose answer was lost took are held for the claimant, which does not know
    // it has them; a repeat cannot tell them from jobs it holds and is sending. They are due again when the lease runs out.
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueNotificationsAsync(Guid claimant, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await _database.QueryJobsAsync(
            "ClaimDueNotifications",
            Repeat.OnlyIfUnsent,
            cancellationToken,
            Parameter.Uuid("claimant", claimant),
            Parameter.Timestamp("now", now),
            Parameter.Timestamp("lease_until", now + lease),
            Parameter.Integer("limit", limit)).ConfigureAwait(false);
    }

    // Safe to repeat: the first release let go of the job, so a repeat finds it held by nobody, or by another claimant.
    public async ValueTask ReleaseNotificationsAsync(Guid id, Guid claimant, DateTimeOffset? nextDueAt, CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync(
            "ReleaseNotifications",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Uuid("id", id),
            Parameter.Uuid("claimant", claimant),
            Parameter.Timestamp("next_due_at", nextDueAt)).ConfigureAwait(false);

    public event Action<JobRecord>? JobFinished;

    public IDisposable WatchChanges(Action<Guid> onChanged) => _changes.WatchAll(onChanged);

    /// <summary>Announces <paramref name="job"/> when a statement of this store just finished it; returns it.</summary>
    private JobRecord? Finished(JobRecord? job)
    {
        if (job is { Status: var status } && status.IsFinished())
        {
            _claims.Forget(job.Id);
            JobFinished?.Invoke(job);
        }

        return job;
    }

    public async ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        return await _sweep.DeleteAsync(finishedBefore, keepAtMost, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default) =>
        await _database.ExecuteAsync(
            "DeleteFinishedJob",
            Repeat.OnlyIfUnsent,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1,
            cancellationToken,
            Parameter.Uuid("id", id)).ConfigureAwait(false);

    /// <summary>Stops listening and closes the connections it made; safe to call more than once (DI may, as the store is registered under two types).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _changes.DisposeAsync().ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
    }
}
