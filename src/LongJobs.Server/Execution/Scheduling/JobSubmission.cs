using System.ComponentModel.DataAnnotations;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using LongJobs.Server.Execution.Claiming;
using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Running;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Observability;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Accepts new jobs: admits them, records them, and gets them going. An ad-hoc job runs at once or waits in this server's
/// ad-hoc queue (only this server holds its delegate); a job of a registered kind runs at once while this server has a
/// slot free and no job waits for one, and otherwise waits in the store's queue, from which this server claims.
/// </summary>
internal sealed partial class JobSubmission(
    IJobRecords records,
    IJobAttempts attempts,
    JobKindRegistry kinds,
    AdmissionGate admission,
    SlotPool pool,
    StoreTopology topology,
    FollowedJobs followed,
    QueueClaimer claimer,
    DueJobQueuer dueJobs,
    JobRunner runner,
    JobCompleter completer,
    LongJobsOptions options,
    TimeProvider time,
    ILogger logger)
{
    public async Task<LongRunningJob<TResult>> StartAdHocAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<TResult>(NewRecord(kind, request: null, maxAttempts: 1));
        await StartAdHocAsync(new AdHocWorkItem<TResult>(job, work), cancellationToken).ConfigureAwait(false);
        return job;
    }

    public async Task<LongRunningJob> StartAdHocAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<object?>(NewRecord(kind, request: null, maxAttempts: 1));
        await StartAdHocAsync(new AdHocWorkItem(job, work), cancellationToken).ConfigureAwait(false);
        return job;
    }

    public async Task<LongRunningJob> StartKindAsync(string kind, object request, DateTimeOffset? notBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var jobKind = FindKind(kind);
        EnsureValidRequest(jobKind, request, index: null);
        var start = new ValidatedStart(request, Owner: null, IdempotencyKey: null, Notifications: null, jobKind.UniqueKeyOf(request));
        var (job, state, _) = await StartRegisteredAsync(jobKind, start, notBefore, withHandle: true, cancellationToken).ConfigureAwait(false);
        return job ?? HandleOf(jobKind, state);
    }

    /// <inheritdoc cref="IRegisteredJobStarter.StartValidatedAsync"/>
    public async Task<(JobRecord State, StartOutcome Outcome)> StartValidatedAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, CancellationToken cancellationToken)
    {
        var (_, state, outcome) = await StartRegisteredAsync(kind, start, notBefore, withHandle: false, cancellationToken).ConfigureAwait(false);
        return (state, outcome);
    }

    /// <summary>
    /// The job of a recurring schedule's occurrence, not stored yet: its request validated, keyed and given its kind's
    /// priority as a start in code would be; it has no owner.
    /// </summary>
    /// <exception cref="ArgumentException">The request is not of the kind's type, or its unique key cannot be computed.</exception>
    /// <exception cref="ValidationException">The request is not valid.</exception>
    public JobRecord NewOccurrence(JobKind kind, object request)
    {
        EnsureValidRequest(kind, request, index: null);
        return NewRecord(kind, new ValidatedStart(request, Owner: null, IdempotencyKey: null, Notifications: null, kind.UniqueKeyOf(request)));
    }

    /// <summary>Gets a job that was queued in the store outside a start (a schedule's occurrence) claimed, here if a slot is free.</summary>
    public void Queued(JobRecord stored)
    {
        Log.JobQueued(logger, stored.Id, stored.Kind);
        topology.NoteQueueChange(1);
        claimer.MayHaveQueuedJobs();
        claimer.EnsureStarted();
        claimer.Wake();
    }

    /// <summary>
    /// The handle of an unfinished job that a start found by its unique key: the one this server holds (the job runs here,
    /// or was started here and waits), or a new one that follows the job in the store until it finishes, wherever it runs.
    /// </summary>
    private LongRunningJob HandleOf(JobKind kind, JobRecord existing) =>
        pool.TryGetJob(existing.Id, out var active) ? active : followed.FollowExisting(kind.CreateJob(existing), kind);

    /// <summary>What inserting <paramref name="record"/> did, from the job the store answered with.</summary>
    private static StartOutcome OutcomeOf(JobRecord record, JobRecord stored) =>
        stored.Id == record.Id ? StartOutcome.New
        : record.IdempotencyKey is not null && stored.IdempotencyKey == record.IdempotencyKey && stored.Owner == record.Owner ? StartOutcome.IdempotentRepeat
        : StartOutcome.Deduplicated;

    /// <summary>
    /// Queues a job of a registered kind in the store, then claims from the queue at once if a slot is free; or, for a
    /// <paramref name="notBefore"/> still to come, stores it scheduled for then. With <paramref name="withHandle"/>, the
    /// job gets a handle that completes when it finishes, wherever it runs.
    /// </summary>
    private async Task<(LongRunningJob? Job, JobRecord State, StartOutcome Outcome)> StartRegisteredAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, bool withHandle, CancellationToken cancellationToken)
    {
        var record = NewRecord(kind, start);
        var scheduled = notBefore > record.CreatedAt;
        if (scheduled)
        {
            record = record with { Status = JobStatus.Scheduled, NotBefore = notBefore!.Value.ToUniversalTime() };
            await admission.EnsureAcceptingScheduledAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await admission.EnsureAcceptingAsync(cancellationToken).ConfigureAwait(false);
        }

        // The handle is known before the job is queued: a claim may take the job the moment it is stored.
        var handle = withHandle ? kind.CreateJob(record) : null;
        if (handle is not null)
        {
            followed.Add(handle, kind);
        }

        // With a slot free and no job waiting for one, the job is stored running here and needs no claim.
        var startHere = !scheduled && await claimer.TryReserveStartAsync(kind.Name).ConfigureAwait(false);
        JobRecord stored;
        try
        {
            stored = await InsertOrReadBackAsync(record, startHere ? time.GetUtcNow() : null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            followed.Forget(record.Id);
            ReleaseUnless(startHere, started: false, kind);
            throw;
        }

        var outcome = OutcomeOf(record, stored);
        var startedHere = outcome == StartOutcome.New && stored is { Status: JobStatus.Running, Attempt: 1 };
        ReleaseUnless(startHere, startedHere, kind);
        if (outcome is var found and not StartOutcome.New)
        {
            followed.Forget(record.Id);
            if (found == StartOutcome.Deduplicated)
            {
                Log.JobDeduplicated(logger, stored.Id, stored.Kind);
            }

            return (null, stored, found);
        }

        handle?.Recorded(record, stored);
        if (scheduled)
        {
            Log.JobScheduled(logger, stored.Id, stored.Kind, record.NotBefore!.Value);
            dueJobs.Scheduled(record.NotBefore.Value);
            if (handle is not null)
            {
                followed.FollowIfWaiting(handle.Id);
            }

            return (handle, stored, StartOutcome.New);
        }

        if (startedHere)
        {
            await claimer.StartInsertedAsync(stored).ConfigureAwait(false);
            return (handle, stored, StartOutcome.New);
        }

        Log.JobQueued(logger, stored.Id, stored.Kind);
        topology.NoteQueueChange(1);
        claimer.MayHaveQueuedJobs();
        claimer.EnsureStarted();
        var claimed = await claimer.ClaimForStartAsync(handle?.Id).ConfigureAwait(false);

        return (handle, claimed.FirstOrDefault(job => job.Id == stored.Id) ?? stored, StartOutcome.New);
    }

    /// <summary>Gives back the slot reserved for a start that would run its job here (<paramref name="reserved"/>), unless the job <paramref name="started"/> in it.</summary>
    private void ReleaseUnless(bool reserved, bool started, JobKind kind)
    {
        if (reserved && !started)
        {
            claimer.ReleaseStart(kind.Name);
        }
    }

    /// <summary>
    /// Records an ad-hoc job and gets it going: only this server holds its delegate, so no other server may claim it. With
    /// a slot free, the job takes it first and is stored running in it (no start of its own); otherwise it is stored
    /// queued, then runs in a slot freed meanwhile or waits in this server's queue for one.
    /// </summary>
    private async Task StartAdHocAsync(JobWorkItem item, CancellationToken cancellationToken)
    {
        await admission.EnsureAcceptingAsync(cancellationToken).ConfigureAwait(false);
        var job = item.Job;
        pool.Add(item);
        var startHere = pool.TryReserveAdHoc(item);
        JobRecord stored;
        try
        {
            var unstored = job.Row();
            stored = await InsertOrReadBackAsync(unstored, startHere ? time.GetUtcNow() : null, cancellationToken).ConfigureAwait(false);
            job.Recorded(unstored, stored);
        }
        catch
        {
            completer.Forget(item);
            throw;
        }

        var startedHere = startHere && stored is { Status: JobStatus.Running, Attempt: 1 };
        if (!startedHere)
        {
            Log.JobQueued(logger, job.Id, job.Kind);
            topology.NoteQueueChange(1);
        }

        // One that holds a slot keeps it (stored queued, it is started as one that found a slot after its insert).
        switch (startHere ? pool.PlaceReserved(item) : pool.Place(item))
        {
            case SlotPool.Placement.Run:
                // Started before the caller hears of it, so a job that got a slot never counts as waiting.
                runner.Dispatch(item, startedHere ? stored : await TryStartNowAsync(job.Id).ConfigureAwait(false));
                break;
            case SlotPool.Placement.Cancelled:
                await completer.CancelUnrunAsync(item, stored.Status, stored.Attempt, error: null).ConfigureAwait(false);
                break;
            case SlotPool.Placement.Stopping:
                await completer.CancelUnrunAsync(item, stored.Status, stored.Attempt, JobErrors.StoppedByShutdown).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// Inserts <paramref name="record"/>, started on this server at <paramref name="startedAt"/> when one is given. A store
    /// that becomes unreachable while inserting cannot say whether the job was stored (a database may commit and lose its
    /// answer): then the job is read back by its ID, so that a stored job is never answered as an error. Only a job surely
    /// not stored, or a store still out of reach, throws <see cref="JobStoreUnavailableException"/>; in the latter case
    /// the job may exist and run. One stored running here is then taken back once its lease, never renewed, runs out, as
    /// the jobs of a claim whose answer was lost are: queued again while it has attempts left, failed as lost otherwise.
    /// </summary>
    private async Task<JobRecord> InsertOrReadBackAsync(JobRecord record, DateTimeOffset? startedAt, CancellationToken cancellationToken)
    {
        try
        {
            return startedAt is { } at
                ? await records.InsertStartedAsync(record, at, cancellationToken).ConfigureAwait(false)
                : await records.InsertAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException failure) when (failure.MayHaveChanged)
        {
            JobRecord? stored;
            try
            {
                stored = await records.GetAsync(record.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (JobStoreUnavailableException)
            {
                // The insert's failure, which may have stored the job, is what the caller must hear of.
                Log.InsertOutcomeUnknown(logger, record.Id, record.Kind);
                ExceptionDispatchInfo.Throw(failure);
                throw;
            }

            if (stored is null)
            {
                throw;
            }

            Log.InsertFoundAfterLostAnswer(logger, record.Id, record.Kind);
            return stored;
        }
    }

    /// <summary>Starts an ad-hoc job in the store; when the store is unreachable, its run starts it later.</summary>
    private async ValueTask<JobRecord?> TryStartNowAsync(Guid id)
    {
        try
        {
            var started = await attempts.TryStartAsync(id, time.GetUtcNow()).ConfigureAwait(false);
            if (started is not null)
            {
                topology.NoteQueueChange(-1);
            }

            return started;
        }
        catch (JobStoreUnavailableException)
        {
            return null;
        }
    }

    private JobKind FindKind(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return kinds.TryGet(kind, out var jobKind) ? jobKind : throw new KeyNotFoundException($"No job kind named '{kind}' is registered.");
    }

    /// <summary>Throws when <paramref name="request"/> is not a valid request of <paramref name="kind"/>; a batch's item is named by its index.</summary>
    private void EnsureValidRequest(JobKind kind, object request, int? index)
    {
        var item = index is { } at ? $"Request {at}: " : "";
        if (!kind.RequestType.IsInstanceOfType(request))
        {
            throw new ArgumentException($"{item}Job kind '{kind.Name}' takes a {kind.RequestType.Name}, not a {request.GetType().Name}.", index is null ? "request" : "requests");
        }

        if (index is null)
        {
            JobRequestValidator.EnsureValid(request, options.SerializerOptions);
        }
        else if (JobRequestValidator.Validate(request, options.SerializerOptions) is { Count: > 0 } errors)
        {
            throw new ValidationException(item + JobRequestValidator.Describe(errors));
        }
    }

    /// <summary>The record of a new job of a registered kind, for <paramref name="start"/>; without a priority of its own, the kind's for its request.</summary>
    /// <exception cref="ArgumentException">The kind's priority function refuses the request (<see cref="JobKind.PriorityOf"/>).</exception>
    private JobRecord NewRecord(JobKind kind, ValidatedStart start) => NewRecord(
        kind.Name,
        JsonSerializer.SerializeToElement(start.Request, kind.RequestType, options.SerializerOptions),
        kind.Retry.MaxAttempts,
        start.Owner,
        start.IdempotencyKey,
        start.Notifications,
        start.UniqueKey,
        start.Priority ?? kind.PriorityOf(start.Request)) with { RetryOf = start.RetryOf };

    private JobRecord NewRecord(string kind, JsonElement? request, int maxAttempts, string? owner = null, string? idempotencyKey = null, JobNotifications? notifications = null, string? uniqueKey = null, int priority = 0)
    {
        var now = time.GetUtcNow();
        return new()
        {
            Id = JobIds.New(now),
            Kind = kind,
            CreatedAt = now,
            Request = request,
            MaxAttempts = maxAttempts,
            Version = topology.UnstoredVersion,
            Owner = owner,
            IdempotencyKey = idempotencyKey,
            Notifications = notifications,
            UniqueKey = uniqueKey,
            Priority = priority,
            TraceParent = JobInstrumentation.CurrentTraceParent(),
        };
    }

    private void EnsureAdHocKind(string kind)
    {
        if (ReferenceEquals(kind, JobKindRegistry.AdHocKind))
        {
            // The default name: valid, and never a registered kind's.
            return;
        }

        JobKindRegistry.EnsureValidName(kind);
        if (kinds.Contains(kind))
        {
            throw new ArgumentException($"'{kind}' is a registered job kind; start it with {nameof(IJobScheduler.StartKindAsync)}, or give the ad-hoc job another name.", nameof(kind));
        }
    }
}
