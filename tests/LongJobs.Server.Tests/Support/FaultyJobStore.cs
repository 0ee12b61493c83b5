using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// The in-memory store behind faults a test switches on: as a store shared with other servers (<see cref="IsDurable"/>),
/// one whose writes, claims or progress reports fail while its database is unreachable, or one that throws what no
/// store should. Everything not
/// switched on is the in-memory store's own behaviour (<see cref="Inner"/>).
/// </summary>
public sealed class FaultyJobStore(TimeProvider time, bool durable = false) : IJobStore
{
    /// <summary>The store that holds the jobs; a test acting as another server writes to it directly.</summary>
    internal InMemoryJobStore Inner { get; } = new(Options.Create(new LongJobsOptions()), time);

    /// <summary>While set, <see cref="TryFinishAsync"/> throws <see cref="JobStoreUnavailableException"/>.</summary>
    public bool FinishUnavailable { get; set; }

    /// <summary>While set, thrown by every <see cref="TryFinishAsync"/>: a failure no store should have.</summary>
    public Exception? FinishFailure { get; set; }

    /// <summary>While set, every <see cref="TryFinishAsync"/> waits for it before writing: a slow database, or a batch of outcomes on its way.</summary>
    public Task? FinishWritesAfter { get; set; }

    private int _insertAnswersToLose;

    /// <summary>
    /// How many of the next inserts store their job and then throw <see cref="JobStoreUnavailableException"/>, as a
    /// database that committed and lost its answer.
    /// </summary>
    public int InsertAnswersToLose
    {
        get => Volatile.Read(ref _insertAnswersToLose);
        set => Volatile.Write(ref _insertAnswersToLose, value);
    }

    /// <summary>While set, <see cref="InsertAsync"/> throws <see cref="JobStoreUnavailableException"/> saying the store was never reached.</summary>
    public bool InsertUnreachable { get; set; }

    /// <summary>While set, thrown by every <see cref="ClaimDueNotificationsAsync"/>: a failure no store should have.</summary>
    public Exception? OutboxFailure { get; set; }

    /// <summary>While set, <see cref="GetAsync"/> throws <see cref="JobStoreUnavailableException"/>.</summary>
    public bool GetUnavailable { get; set; }

    private Exception? _nextWaitForChangeFailure;
    private Exception? _claimFailure;
    private Exception? _progressFailure;

    private Exception? _scheduleFailure;

    /// <summary>While set, thrown by <see cref="AddSchedulesAsync"/>, <see cref="GetSchedulesAsync"/> and <see cref="AdvanceScheduleAsync"/>.</summary>
    public Exception? ScheduleFailure
    {
        get => Volatile.Read(ref _scheduleFailure);
        set => Volatile.Write(ref _scheduleFailure, value);
    }

    /// <summary>While set, thrown by every <see cref="ClaimAsync"/>.</summary>
    public Exception? ClaimFailure
    {
        get => Volatile.Read(ref _claimFailure);
        set => Volatile.Write(ref _claimFailure, value);
    }

    /// <summary>While set, thrown by every <see cref="TryReportProgressAsync"/>.</summary>
    public Exception? ProgressFailure
    {
        get => Volatile.Read(ref _progressFailure);
        set => Volatile.Write(ref _progressFailure, value);
    }

    /// <summary>Thrown once, by the next <see cref="WaitForChangeAsync"/>.</summary>
    public Exception? NextWaitForChangeFailure
    {
        get => Volatile.Read(ref _nextWaitForChangeFailure);
        set => Volatile.Write(ref _nextWaitForChangeFailure, value);
    }

    public bool IsDurable => durable;

    public DateTimeOffset? InMemorySince => durable ? null : Inner.InMemorySince;

    public event Action<JobRecord>? JobFinished
    {
        add => Inner.JobFinished += value;
        remove => Inner.JobFinished -= value;
    }

    private int _insertManyCalls;

    /// <summary>How many times <see cref="InsertManyAsync"/> was called.</summary>
    public int InsertManyCalls => Volatile.Read(ref _insertManyCalls);

    public async ValueTask<IReadOnlyList<JobRecord>> InsertManyAsync(IReadOnlyList<JobRecord> jobs, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _insertManyCalls);
        if (InsertUnreachable)
        {
            throw new JobStoreUnavailableException(new TimeoutException("The test's database cannot be connected to.")) { MayHaveChanged = false };
        }

        var stored = await Inner.InsertManyAsync(jobs, cancellationToken);
        if (Interlocked.Decrement(ref _insertAnswersToLose) >= 0)
        {
            throw new JobStoreUnavailableException(new TimeoutException("The test's database committed, and its answer was lost."));
        }

        Interlocked.Exchange(ref _insertAnswersToLose, 0);
        return stored;
    }

    public ValueTask<JobRecord> InsertAsync(JobRecord job, CancellationToken cancellationToken = default) =>
        WithInsertFaultsAsync(() => Inner.InsertAsync(job, cancellationToken));

    public ValueTask<JobRecord> InsertStartedAsync(JobRecord job, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        WithInsertFaultsAsync(() => Inner.InsertStartedAsync(job, startedAt, cancellationToken));

    private readonly TaskCompletionSource _insertHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, single inserts wait for it before they reach the store.</summary>
    public Task? InsertGate { get; set; }

    /// <summary>Completes once an insert waits for <see cref="InsertGate"/>.</summary>
    public Task InsertHeld => _insertHeld.Task;

    /// <summary>A single insert, unless the test made inserts fail: before it reaches the store, or after, with its answer lost.</summary>
    private async ValueTask<JobRecord> WithInsertFaultsAsync(Func<ValueTask<JobRecord>> insert)
    {
        if (InsertGate is { } gate)
        {
            _insertHeld.TrySetResult();
            await gate;
        }

        if (InsertUnreachable)
        {
            throw new JobStoreUnavailableException(new TimeoutException("The test's database cannot be connected to.")) { MayHaveChanged = false };
        }

        var stored = await insert();
        if (Interlocked.Decrement(ref _insertAnswersToLose) >= 0)
        {
            throw new JobStoreUnavailableException(new TimeoutException("The test's database committed, and its answer was lost."));
        }

        Interlocked.Exchange(ref _insertAnswersToLose, 0);
        return stored;
    }

    public ValueTask<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetUnavailable
            ? throw new JobStoreUnavailableException(new TimeoutException("The test's database is down."))
            : Inner.GetAsync(id, cancellationToken);

    public ValueTask<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default) => Inner.ListAsync(query, cancellationToken);

    public ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default) => Inner.CountQueuedAsync(countAtMost, cancellationToken);

    private int _claimCalls;

    /// <summary>How many times <see cref="ClaimAsync"/> was called.</summary>
    public int ClaimCalls => Volatile.Read(ref _claimCalls);

    private readonly TaskCompletionSource _claimHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, claims wait for it before they reach the store.</summary>
    public Task? ClaimGate { get; set; }

    /// <summary>Completes once a claim waits for <see cref="ClaimGate"/>.</summary>
    public Task ClaimHeld => _claimHeld.Task;

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, IReadOnlyDictionary<string, int>? runningLimits = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _claimCalls);
        if (ClaimGate is { } gate)
        {
            _claimHeld.TrySetResult();
            await gate;
        }

        return ClaimFailure is { } failure ? throw failure : await Inner.ClaimAsync(kinds, limit, startedAt, runningLimits, cancellationToken);
    }

    public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => Inner.WaitForQueuedJobsAsync(cancellationToken);

    public ValueTask<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default) => Inner.GetPausedKindsAsync(cancellationToken);

    public ValueTask<KindPause> PauseKindAsync(string kind, DateTimeOffset pausedAt, CancellationToken cancellationToken = default) => Inner.PauseKindAsync(kind, pausedAt, cancellationToken);

    public ValueTask<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default) => Inner.ResumeKindAsync(kind, cancellationToken);

    public ValueTask AddSchedulesAsync(IReadOnlyCollection<string> names, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ScheduleFailure is { } failure ? throw failure : Inner.AddSchedulesAsync(names, now, cancellationToken);

    public ValueTask<IReadOnlyList<StoredSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default) =>
        ScheduleFailure is { } failure ? throw failure : Inner.GetSchedulesAsync(cancellationToken);

    public ValueTask<ScheduleAdvance> AdvanceScheduleAsync(string schedule, DateTimeOffset due, JobRecord? job, CancellationToken cancellationToken = default) =>
        ScheduleFailure is { } failure ? throw failure : Inner.AdvanceScheduleAsync(schedule, due, job, cancellationToken);

    public ValueTask<StoredSchedule> PauseScheduleAsync(string schedule, DateTimeOffset pausedAt, CancellationToken cancellationToken = default) => Inner.PauseScheduleAsync(schedule, pausedAt, cancellationToken);

    public ValueTask<bool> ResumeScheduleAsync(string schedule, DateTimeOffset resumedAt, CancellationToken cancellationToken = default) => Inner.ResumeScheduleAsync(schedule, resumedAt, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken = default) => Inner.GetNextDueTimeAsync(cancellationToken);

    public ValueTask<int> QueueDueJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Inner.QueueDueJobsAsync(now, limit, cancellationToken);

    public Task WaitForScheduledJobsAsync(CancellationToken cancellationToken) => Inner.WaitForScheduledJobsAsync(cancellationToken);

    private int _tryStartCalls;

    /// <summary>How many times <see cref="TryStartAsync"/> was called.</summary>
    public int TryStartCalls => Volatile.Read(ref _tryStartCalls);

    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _tryStartCalls);
        return Inner.TryStartAsync(id, startedAt, cancellationToken);
    }

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default) =>
        ProgressFailure is { } failure ? throw failure : Inner.TryReportProgressAsync(id, attempt, progress, message, cancellationToken);

    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, JobRetry retry, CancellationToken cancellationToken = default) =>
        Inner.TryStartNextAttemptAsync(id, failedAttempt, retry, cancellationToken);

    /// <summary>While set, thrown by every <see cref="AppendLogAsync"/>.</summary>
    public Exception? LogFailure
    {
        get => Volatile.Read(ref _logFailure);
        set => Volatile.Write(ref _logFailure, value);
    }

    private Exception? _logFailure;

    public ValueTask<JobHistory?> GetHistoryAsync(Guid id, CancellationToken cancellationToken = default) => Inner.GetHistoryAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<JobNode>> GetNodesAsync(CancellationToken cancellationToken = default) => Inner.GetNodesAsync(cancellationToken);

    public ValueTask<JobStatistics> CountJobsAsync(JobStatisticsQuery query, CancellationToken cancellationToken = default) => Inner.CountJobsAsync(query, cancellationToken);

    /// <summary>Raised with the lines of every write the store took.</summary>
    public event Action<IReadOnlyList<JobLogEntry>>? LogAppended;

    public async ValueTask AppendLogAsync(IReadOnlyList<JobLogEntry> entries, int keepLast, CancellationToken cancellationToken = default)
    {
        if (LogFailure is { } failure)
        {
            throw failure;
        }

        await Inner.AppendLogAsync(entries, keepLast, cancellationToken);
        LogAppended?.Invoke(entries);
    }

    public ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        Inner.TryRequeueAsync(id, attempt, message, at, cancellationToken);

    public ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default)
    {
        if (FinishWritesAfter is { IsCompleted: false } written)
        {
            return FinishAfterAsync(written, id, expectedStatus, expectedAttempt, outcome, cancellationToken);
        }

        if (FinishUnavailable)
        {
            // Thrown here, not made in advance, so its stack trace names this method as a database driver's would.
            throw new JobStoreUnavailableException(new TimeoutException("The test's database is down."));
        }

        if (FinishFailure is { } failure)
        {
            throw failure;
        }

        return Inner.TryFinishAsync(id, expectedStatus, expectedAttempt, outcome, cancellationToken);
    }

    private async ValueTask<JobRecord?> FinishAfterAsync(Task written, Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken)
    {
        await written.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await TryFinishAsync(id, expectedStatus, expectedAttempt, outcome, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<JobRecord?> RequestCancellationAsync(Guid id, DateTimeOffset canceledAt, CancellationToken cancellationToken = default) =>
        Inner.RequestCancellationAsync(id, canceledAt, cancellationToken);

    public ValueTask<JobRecord?> RecordDeliveryAsync(Guid id, NotificationDelivery delivery, CancellationToken cancellationToken = default) =>
        Inner.RecordDeliveryAsync(id, delivery, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueNotificationsAsync(Guid claimant, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken = default) =>
        OutboxFailure is { } failure ? ValueTask.FromException<IReadOnlyList<JobRecord>>(failure) : Inner.ClaimDueNotificationsAsync(claimant, now, lease, limit, cancellationToken);

    public ValueTask ReleaseNotificationsAsync(Guid id, Guid claimant, DateTimeOffset? nextDueAt, CancellationToken cancellationToken = default) =>
        Inner.ReleaseNotificationsAsync(id, claimant, nextDueAt, cancellationToken);

    public IDisposable WatchChanges(Action<Guid> onChanged) => Inner.WatchChanges(onChanged);

    public ValueTask<JobRecord?> WaitForChangeAsync(Guid id, long knownVersion, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _nextWaitForChangeFailure, null) is { } failure)
        {
            throw failure;
        }

        return Inner.WaitForChangeAsync(id, knownVersion, cancellationToken);
    }

    public ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default) =>
        Inner.DeleteFinishedAsync(finishedBefore, keepAtMost, cancellationToken);

    public ValueTask<bool> TryDeleteFinishedAsync(Guid id, CancellationToken cancellationToken = default) => Inner.TryDeleteFinishedAsync(id, cancellationToken);
}
