using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Observability;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.Execution;

/// <summary>
/// Runs at most <see cref="LongJobsOptions.MaxConcurrency"/> jobs at once. Jobs of registered kinds wait in the
/// store's queue, from which this server (and every other server sharing the store) claims the oldest whenever it
/// has a free slot; ad-hoc jobs wait in this server's own queue, since only it holds their delegates, and take
/// free slots first. There are no idle workers: claims happen when a job is accepted, when a slot frees, and
/// when the store says another server queued a job (with a slow poll behind it for lost notifications).
/// </summary>
internal sealed class JobScheduler : IJobScheduler, IHostedLifecycleService, IDisposable
{
    private readonly IJobStore _store;
    private readonly JobKindRegistry _kinds;
    private readonly string[] _kindNames;
    private readonly Dictionary<JobKind, ResiliencePipeline> _retryPipelines = [];
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LongJobsOptions _options;
    private readonly bool _includeExceptionDetails;

    /// <summary>On a shared store, the queue length between counts; <see langword="null"/> on a local store, whose count is cheap and exact.</summary>
    private readonly QueuedJobCount? _queuedCount;

    private readonly JobInstrumentation _instrumentation;

    /// <summary>The longest wait between attempts to record a job's state while the store is unreachable.</summary>
    private static readonly TimeSpan MaxStoreRetryDelay = TimeSpan.FromSeconds(30);

    private static readonly ResiliencePropertyKey<JobWorkItem> WorkItemKey = new("LongJobs.WorkItem");

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, JobWorkItem> _active = [];
    private readonly LinkedList<JobWorkItem> _adHocQueue = new();
    private readonly Dictionary<Guid, PendingJob> _pending = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _claimSignal = new();
    private Task? _claimLoop;
    private int _running;
    private bool _stopping;
    private readonly ClaimHealth _claimHealth = new();

    /// <summary>
    /// Counts the moments since which the store's queue may hold jobs to claim: this server queued one, the store
    /// said another server did, or the poll interval passed. Starts at 1: the queue may hold jobs from before.
    /// </summary>
    private long _queueChanges = 1;

    /// <summary>The value of <see cref="_queueChanges"/> when a claim last found the queue empty of jobs for this server.</summary>
    private long _queueEmptyAsOf;

    public JobScheduler(
        IJobStore store,
        JobKindRegistry kinds,
        IServiceScopeFactory scopes,
        TimeProvider time,
        IOptions<LongJobsOptions> options,
        ILogger<JobScheduler> logger,
        JobInstrumentation instrumentation,
        IHostEnvironment? environment = null)
    {
        _store = store;
        _kinds = kinds;
        _kindNames = [.. kinds.Kinds.Select(kind => kind.Name)];
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _includeExceptionDetails = _options.IncludeExceptionDetails ?? environment?.IsDevelopment() ?? false;
        _queuedCount = store.IsDurable ? new QueuedJobCount(time) : null;
        _instrumentation = instrumentation;
        instrumentation.Observe(() => Volatile.Read(ref _running), QueueLengthForMetrics);
        foreach (var kind in kinds.Kinds.Where(kind => kind.Retry.MaxAttempts > 1))
        {
            _retryPipelines[kind] = BuildRetryPipeline(kind);
        }
    }

    public Task<LongRunningJob<TResult>> StartAsync<TResult>(Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) =>
        StartAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public async Task<LongRunningJob<TResult>> StartAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<TResult>(NewRecord(kind, request: null, maxAttempts: 1));
        await StartAdHocAsync(job, typeof(TResult), async (context, token) => await work(context, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return job;
    }

    public Task<LongRunningJob> StartAsync(Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        StartAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public async Task<LongRunningJob> StartAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<object?>(NewRecord(kind, request: null, maxAttempts: 1));
        await StartAdHocAsync(
            job,
            typeof(object),
            async (context, token) =>
            {
                await work(context, token).ConfigureAwait(false);
                return null;
            },
            cancellationToken).ConfigureAwait(false);
        return job;
    }

    public async Task<LongRunningJob> StartKindAsync(string kind, object request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(request);
        if (!_kinds.TryGet(kind, out var jobKind))
        {
            throw new KeyNotFoundException($"No job kind named '{kind}' is registered.");
        }

        if (!jobKind.RequestType.IsInstanceOfType(request))
        {
            throw new ArgumentException($"Job kind '{kind}' takes a {jobKind.RequestType.Name}, not a {request.GetType().Name}.", nameof(request));
        }

        JobRequestValidator.EnsureValid(request, _options.SerializerOptions);
        return (await StartRegisteredAsync(jobKind, request, owner: null, idempotencyKey: null, notifications: null, withHandle: true, cancellationToken).ConfigureAwait(false)).Job!;
    }

    /// <summary>
    /// Queues a job of <paramref name="kind"/> for <paramref name="owner"/> whose request has been type-checked and
    /// validated, for the API: no handle is made. When a job of that owner with <paramref name="idempotencyKey"/>
    /// exists already, queues nothing and returns that job's state.
    /// </summary>
    /// <returns>The job's state, and whether the job is new.</returns>
    internal async Task<(JobRecord State, bool IsNew)> StartValidatedAsync(JobKind kind, object request, string? owner, string? idempotencyKey, JobNotifications? notifications, CancellationToken cancellationToken)
    {
        var (_, state, isNew) = await StartRegisteredAsync(kind, request, owner, idempotencyKey, notifications, withHandle: false, cancellationToken).ConfigureAwait(false);
        return (state, isNew);
    }

    public async Task<JobRecord?> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var state = await _store.RequestCancellationAsync(id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        JobWorkItem? item;
        PendingJob? pending = null;
        bool wasQueued = false;
        lock (_gate)
        {
            if (_active.TryGetValue(id, out item))
            {
                wasQueued = item.QueueNode is not null;
                if (wasQueued)
                {
                    _adHocQueue.Remove(item.QueueNode!);
                    item.QueueNode = null;
                }
            }
            else if (state.Status.IsFinished() && _pending.Remove(id, out var found))
            {
                pending = found;
            }
        }

        if (pending is not null)
        {
            // A job of a registered kind cancelled while it waited in the store's queue.
            CompleteFromStore(pending, state);
            return state;
        }

        if (item is null)
        {
            return state;
        }

        await item.CancelAsync().ConfigureAwait(false);
        if (wasQueued)
        {
            await FinishQueuedAsync(item, error: null).ConfigureAwait(false);
        }

        return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? item.Job.State;
    }

    /// <summary>Finds a job this server runs, or holds in its queue of ad-hoc jobs.</summary>
    public bool TryGetActiveJob(Guid id, [NotNullWhen(true)] out LongRunningJob? job)
    {
        lock (_gate)
        {
            job = _active.TryGetValue(id, out var item) ? item.Job : null;
            return job is not null;
        }
    }

    public IReadOnlyList<LongRunningJob> GetActiveJobs()
    {
        lock (_gate)
        {
            return [.. _active.Values.Select(item => item.Job)];
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts claiming jobs of registered kinds from the store's queue, such as those left by a previous run.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureClaiming();
        return Task.CompletedTask;
    }

    /// <summary>Starts the claim loop once: when the host starts, or at the first job of a registered kind if that comes first.</summary>
    private void EnsureClaiming()
    {
        if (_kindNames.Length == 0 || Volatile.Read(ref _claimLoop) is not null)
        {
            return;
        }

        lock (_gate)
        {
            _claimLoop ??= Task.Run(ClaimLoopAsync, CancellationToken.None);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Refuses new jobs (503) from the moment the host begins to stop: the web server still finishes its
    /// in-flight requests before <see cref="StopAsync"/> runs, and a job accepted then would only be cancelled.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stopping = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops claiming, cancels queued jobs (on a durable store, leaves those of registered kinds queued for the
    /// next server), signals running ones, and waits up to the shutdown timeout for them.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<JobWorkItem> queued;
        List<PendingJob> pending;
        int running;
        lock (_gate)
        {
            _stopping = true;
            queued = [.. _adHocQueue];
            _adHocQueue.Clear();
            foreach (var item in queued)
            {
                item.QueueNode = null;
            }

            pending = [.. _pending.Values];
            _pending.Clear();
            running = _running;
            if (IsDrained)
            {
                _drained.TrySetResult();
            }
        }

        Log.Stopping(_logger, queued.Count, running);
        foreach (var item in queued)
        {
            await FinishQueuedAsync(item, JobErrors.StoppedByShutdown).ConfigureAwait(false);
        }

        if (_store.IsDurable)
        {
            // Their jobs stay queued in the store for the next server; only this process's view of them ends.
            foreach (var job in pending)
            {
                job.Handle.Complete(job.StopFollowing().State, result: null, exception: null);
            }
        }
        else
        {
            await CancelStoreQueueAsync(pending).ConfigureAwait(false);
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        Task? claimLoop;
        lock (_gate)
        {
            claimLoop = _claimLoop;
        }

        if (claimLoop is not null)
        {
            await claimLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        try
        {
            await _drained.Task.WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await AbandonRunningJobsAsync().ConfigureAwait(false);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Signals every job to stop; the host may call this while <see cref="StopAsync"/> is still running.</summary>
    public void Dispose()
    {
        // WebApplicationFactory with minimal hosting disposes the services while the host's StopAsync is still in
        // flight (dotnet/aspnetcore#40271). Disposing the source here made that StopAsync throw
        // ObjectDisposedException; cancel it instead. It has no timer or wait handle to release.
        _shutdown.Cancel();
    }

    private JobRecord NewRecord(string kind, JsonElement? request, int maxAttempts) => new()
    {
        Id = Guid.CreateVersion7(_time.GetUtcNow()),
        Kind = kind,
        CreatedAt = _time.GetUtcNow(),
        Request = request,
        MaxAttempts = maxAttempts,
        TraceParent = JobInstrumentation.CurrentTraceParent(),
    };

    /// <summary>The queue's length for metrics, without asking a shared store: its last count.</summary>
    private int? QueueLengthForMetrics() =>
        _queuedCount is { } shared ? (shared.TryGetLast(out var count) ? count : null)
        : (_store as InMemoryJobStore)?.QueuedCount;

    private void EnsureAdHocKind(string kind)
    {
        JobKindRegistry.EnsureValidName(kind);
        if (_kinds.Contains(kind))
        {
            throw new ArgumentException($"'{kind}' is a registered job kind; start it with {nameof(StartKindAsync)}, or give the ad-hoc job another name.", nameof(kind));
        }
    }

    /// <summary>
    /// Refuses a new job while the host stops, or when it would have to wait (no slot is free here) and the store's
    /// queue already holds <see cref="LongJobsOptions.MaxQueuedJobs"/> jobs (on a shared store, by a recent count).
    /// </summary>
    private async Task EnsureAcceptingAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                throw new JobRejectedException(JobRejectionReason.ShuttingDown, _options.QueueFullRetryAfter);
            }

            if (_running < _options.MaxConcurrency)
            {
                return;
            }
        }

        if (_options.MaxQueuedJobs == 0 || await CountQueuedAsync(cancellationToken).ConfigureAwait(false) >= _options.MaxQueuedJobs)
        {
            throw new JobRejectedException(JobRejectionReason.QueueFull, _options.QueueFullRetryAfter);
        }
    }

    /// <summary>The store's queue length, up to <see cref="LongJobsOptions.MaxQueuedJobs"/>: on a shared store, counted at most every <see cref="QueuedJobCount.MaxAge"/>.</summary>
    private async ValueTask<int> CountQueuedAsync(CancellationToken cancellationToken)
    {
        if (_queuedCount is null)
        {
            return await _store.CountQueuedAsync(_options.MaxQueuedJobs, cancellationToken).ConfigureAwait(false);
        }

        if (!_queuedCount.TryGet(out var count))
        {
            count = await _store.CountQueuedAsync(_options.MaxQueuedJobs, cancellationToken).ConfigureAwait(false);
            _queuedCount.Set(count);
        }

        return count;
    }

    /// <summary>
    /// Queues a job of a registered kind in the store, then claims from the queue at once if a slot is free. With
    /// <paramref name="withHandle"/>, the job gets a handle that completes when it finishes, wherever it runs.
    /// </summary>
    private async Task<(LongRunningJob? Job, JobRecord State, bool IsNew)> StartRegisteredAsync(JobKind kind, object request, string? owner, string? idempotencyKey, JobNotifications? notifications, bool withHandle, CancellationToken cancellationToken)
    {
        var serialized = JsonSerializer.SerializeToElement(request, kind.RequestType, _options.SerializerOptions);
        var record = NewRecord(kind.Name, serialized, kind.Retry.MaxAttempts) with { Owner = owner, IdempotencyKey = idempotencyKey, Notifications = notifications };
        await EnsureAcceptingAsync(cancellationToken).ConfigureAwait(false);

        // The handle is known before the job is queued: a claim may take the job the moment it is stored.
        var handle = withHandle ? kind.CreateJob(record) : null;
        if (handle is not null)
        {
            lock (_gate)
            {
                _pending.Add(handle.Id, new PendingJob(handle, kind));
            }
        }

        JobRecord stored;
        try
        {
            stored = await _store.InsertAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget(handle);
            throw;
        }

        if (stored.Id != record.Id)
        {
            Forget(handle);
            return (null, stored, false);
        }

        Log.JobQueued(_logger, stored.Id, stored.Kind);
        _queuedCount?.Add(1);
        handle?.Update(stored);
        MayHaveQueuedJobs();
        EnsureClaiming();
        var claimed = await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
        if (handle is not null && _store.IsDurable)
        {
            FollowIfPending(handle.Id);
        }

        return (handle, claimed.FirstOrDefault(job => job.Id == stored.Id) ?? stored, true);
    }

    /// <summary>Forgets the handle of a job that was not queued, or whose idempotency key another job had.</summary>
    private void Forget(LongRunningJob? handle)
    {
        if (handle is not null)
        {
            lock (_gate)
            {
                _pending.Remove(handle.Id);
            }
        }
    }

    /// <summary>
    /// Records an ad-hoc job as queued, then runs it or puts it in this server's queue: only this server holds its
    /// delegate, so no other server may claim it.
    /// </summary>
    private async Task StartAdHocAsync(LongRunningJob job, Type resultType, Func<JobContext, CancellationToken, Task<object?>> work, CancellationToken cancellationToken)
    {
        await EnsureAcceptingAsync(cancellationToken).ConfigureAwait(false);
        var item = new JobWorkItem(job, kind: null, resultType, work, _shutdown.Token);
        lock (_gate)
        {
            _active.Add(job.Id, item);
        }

        try
        {
            job.Update(await _store.InsertAsync(job.State, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            var drained = Release(item);
            item.Cancellation.Dispose();
            if (drained)
            {
                _drained.TrySetResult();
            }

            throw;
        }

        Log.JobQueued(_logger, job.Id, job.Kind);
        _queuedCount?.Add(1);
        bool cancelled, dispatched = false;
        lock (_gate)
        {
            cancelled = _stopping || item.Cancellation.IsCancellationRequested;
            if (!cancelled)
            {
                if (_running < _options.MaxConcurrency)
                {
                    _running++;
                    item.IsRunning = dispatched = true;
                }
                else
                {
                    item.QueueNode = _adHocQueue.AddLast(item);
                }
            }
        }

        if (cancelled)
        {
            await FinishQueuedAsync(item, _stopping ? JobErrors.StoppedByShutdown : null).ConfigureAwait(false);
        }
        else if (dispatched)
        {
            // Started before the caller hears of it, so a job that got a slot never counts as waiting.
            var started = await TryStartNowAsync(job.Id).ConfigureAwait(false);
            RunOnThreadPool(item, started);
        }
    }

    /// <summary>Starts an ad-hoc job in the store; when the store is unreachable, its run starts it later.</summary>
    private async ValueTask<JobRecord?> TryStartNowAsync(Guid id)
    {
        try
        {
            var started = await _store.TryStartAsync(id, _time.GetUtcNow()).ConfigureAwait(false);
            if (started is not null)
            {
                _queuedCount?.Add(-1);
            }

            return started;
        }
        catch (JobStoreUnavailableException)
        {
            return null;
        }
    }

    /// <summary>Wakes the claim loop: a slot freed, or a job was queued.</summary>
    private void SignalClaim() => Volatile.Read(ref _claimSignal).TrySetResult();

    /// <summary>Notes that the store's queue may hold jobs to claim, so the next claim asks the store.</summary>
    private void MayHaveQueuedJobs() => Interlocked.Increment(ref _queueChanges);

    /// <summary>
    /// Claims whenever it may be worth it: when signalled by this server, when the store says another server
    /// queued a job, and every <see cref="LongJobsOptions.QueuePollInterval"/> on a shared store.
    /// </summary>
    private async Task ClaimLoopAsync()
    {
        var stopping = _shutdown.Token;
        using var wakeOnStop = stopping.Register(SignalClaim);
        Task? poll = null;
        while (!stopping.IsCancellationRequested)
        {
            // Armed before claiming, so a wake-up during the claim is not lost.
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _claimSignal, signal);
            if (!_store.IsDurable)
            {
                // A store of this process only: every queued job and freed slot signals, and so does stopping (checked
                // after arming, so a stop is never missed). No timer, no linked token: a wake-up allocates one signal.
                await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
                if (!stopping.IsCancellationRequested)
                {
                    await signal.Task.ConfigureAwait(false);
                }

                continue;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);

            // The poll runs across wake-ups, so slots that keep freeing do not keep postponing it.
            poll ??= Task.Delay(_options.QueuePollInterval, _time, stopping);
            var queued = _store.WaitForQueuedJobsAsync(wait.Token);

            await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
            await Task.WhenAny(signal.Task, queued, poll).ConfigureAwait(false);
            if (queued.IsCompletedSuccessfully || poll.IsCompletedSuccessfully)
            {
                // The store said a job was queued, or it is time to look anyway; a freed slot alone does not mean
                // there is anything to claim.
                MayHaveQueuedJobs();
            }

            if (poll.IsCompleted)
            {
                poll = null;
            }

            await wait.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Claims queued jobs of registered kinds into this server's free slots, oldest first, until the slots are
    /// full or the queue is empty, and starts them. Once a claim found the queue empty, the next asks the store
    /// only after something may have queued a job (<see cref="MayHaveQueuedJobs"/>): a slot that frees while the
    /// queue is empty costs no query.
    /// </summary>
    /// <returns>The jobs it claimed.</returns>
    private async Task<List<JobRecord>> ClaimWhileSlotsFreeAsync()
    {
        var all = new List<JobRecord>();
        if (_kindNames.Length == 0)
        {
            return all;
        }

        while (true)
        {
            var queueChanges = Interlocked.Read(ref _queueChanges);
            if (queueChanges == Interlocked.Read(ref _queueEmptyAsOf))
            {
                return all;
            }

            int free;
            lock (_gate)
            {
                free = _stopping ? 0 : _options.MaxConcurrency - _running;
                if (free <= 0)
                {
                    return all;
                }

                // Reserve the slots while the claim is in flight.
                _running += free;
            }

            IReadOnlyList<JobRecord> claimed;
            try
            {
                claimed = await _store.ClaimAsync(_kindNames, free, _time.GetUtcNow(), _shutdown.Token).ConfigureAwait(false);
                if (_claimHealth.TryMarkWorking())
                {
                    Log.ClaimRecovered(_logger);
                }
            }
            catch (Exception exception) when (exception is JobStoreUnavailableException or OperationCanceledException)
            {
                if (exception is JobStoreUnavailableException && _claimHealth.TryMarkFailing())
                {
                    Log.ClaimFailed(_logger, exception);
                }

                ReturnSlots(free);
                return all;
            }

            ReturnSlots(free - claimed.Count);
            _queuedCount?.Add(-claimed.Count);
            foreach (var job in claimed)
            {
                try
                {
                    RunClaimed(job);
                }
                catch (Exception exception)
                {
                    // Nothing of the job runs here: its slot goes back, the jobs claimed with it still run, and it
                    // fails rather than stay Running in the store.
                    Log.StoreFailed(_logger, exception, job.Id);
                    ReturnSlots(1);
                    var outcome = new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, _includeExceptionDetails));
                    await _store.TryFinishAsync(job.Id, JobStatus.Running, job.Attempt, outcome).ConfigureAwait(false);
                }
            }

            all.AddRange(claimed);
            if (claimed.Count < free)
            {
                // Empty as of the claim: unless something queued a job since it began.
                InterlockedMax(ref _queueEmptyAsOf, queueChanges);
                return all;
            }
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Gives back reserved slots that a claim did not fill: to queued ad-hoc jobs first.</summary>
    private void ReturnSlots(int count)
    {
        if (count <= 0)
        {
            return;
        }

        bool drained;
        lock (_gate)
        {
            _running -= count;
            DispatchAdHocQueue();
            drained = IsDrained;
        }

        if (drained)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Runs a job this server claimed; its slot is already taken.</summary>
    private void RunClaimed(JobRecord job)
    {
        var kind = _kinds.TryGet(job.Kind, out var found) ? found : throw new InvalidOperationException($"Claimed job '{job.Id}' has kind '{job.Kind}', which is not registered here.");
        JobWorkItem item;
        PendingJob? pending;
        lock (_gate)
        {
            var handle = _pending.Remove(job.Id, out pending) ? pending.Handle : kind.CreateJob(job);
            handle.Update(job);
            item = new JobWorkItem(handle, kind, kind.ResultType, ReadWork(kind, job), _shutdown.Token) { Attempt = job.Attempt, IsRunning = true };
            _active.Add(job.Id, item);
        }

        pending?.StopFollowing();

        RunOnThreadPool(item, job);
    }

    /// <summary>Binds the work of a claimed job to its stored request; a request that no longer reads fails the job.</summary>
    private Func<JobContext, CancellationToken, Task<object?>> ReadWork(JobKind kind, JobRecord job)
    {
        object request;
        try
        {
            request = job.Request!.Value.Deserialize(kind.RequestType, _options.SerializerOptions)
                ?? throw new JsonException("The stored request is null.");
        }
        catch (Exception exception)
        {
            // Whatever the request type throws while it is read (a converter, a constructor or setter that validates)
            // means the same: this request does not bind to the kind's type.
            return (_, _) => Task.FromException<object?>(new UnreadableRequestException(exception));
        }

        return kind.CreateWork(request, _scopes);
    }

    /// <summary>
    /// Runs <see cref="RunAsync"/> on the thread pool. Nothing awaits its task: it records every outcome itself and
    /// ends in <see cref="ReleaseAndComplete"/>, so one queued work item does what <c>Task.Run</c> did with four objects.
    /// </summary>
    private void RunOnThreadPool(JobWorkItem item, JobRecord? started) =>
        ThreadPool.QueueUserWorkItem(static state => _ = state.Scheduler.RunSupervisedAsync(state.Item, state.Started), (Scheduler: this, Item: item, Started: started), preferLocal: false);

    /// <summary>Runs <see cref="RunAsync"/>, whose task nobody awaits: what escapes it is logged here, never left unobserved.</summary>
    private async Task RunSupervisedAsync(JobWorkItem item, JobRecord? started)
    {
        try
        {
            await RunAsync(item, started).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            try
            {
                Log.RunFailedUnexpectedly(_logger, exception, item.Id, item.Job.Kind);
            }
            catch (Exception)
            {
                // The logging itself failed (it may be what threw): nothing is left to tell.
            }
        }
    }

    /// <summary>
    /// Runs one job in this server's slot: starts it (ad-hoc jobs; claimed ones are started), runs its work with
    /// its kind's retries, and records the outcome.
    /// </summary>
    private async Task RunAsync(JobWorkItem item, JobRecord? started)
    {
        var job = item.Job;
        object? result = null;
        Exception? failure = null;
        JobRecord? final = null;
        System.Diagnostics.Activity? activity = null;
        try
        {
            var running = started ?? await WhileUnavailableAsync(job.Id, () => _store.TryStartAsync(job.Id, _time.GetUtcNow())).ConfigureAwait(false);
            if (running is null)
            {
                // Cancelled, or abandoned at shutdown, between dispatch and start.
                final = await _store.GetAsync(job.Id).ConfigureAwait(false);
                return;
            }

            if (started is null)
            {
                _queuedCount?.Add(-1);
            }

            item.Attempt = running.Attempt;
            job.Update(running);
            Log.JobStarted(_logger, job.Id, job.Kind, running.Attempt, running.MaxAttempts);
            activity = _instrumentation.RunStarted(running);
            if (running.CancellationRequested)
            {
                // Cancelled through another server sharing the store while it waited in this one's queue.
                await item.CancelAsync().ConfigureAwait(false);
            }

            var token = item.Cancellation.Token;
            JobOutcome? outcome;
            try
            {
                token.ThrowIfCancellationRequested();
                result = await ExecuteAsync(item, token).ConfigureAwait(false);
                outcome = Succeeded(job, item.ResultType, result);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                final = _shutdown.IsCancellationRequested ? await TryHandOverAsync(item).ConfigureAwait(false) : null;
                outcome = final is not null ? null : new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: _shutdown.IsCancellationRequested ? JobErrors.StoppedByShutdown : null);
            }
            catch (Exception exception)
            {
                failure = exception;
                Log.JobFailed(_logger, exception, job.Id, job.Kind);
                outcome = new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: exception switch
                {
                    UnreadableRequestException unreadable => JobErrors.RequestUnreadable(unreadable.InnerException!, _includeExceptionDetails),
                    JobTimeoutException timedOut => JobErrors.TimedOut(timedOut.Timeout),
                    _ => JobErrors.FromException(exception, job.Id, _includeExceptionDetails),
                });
            }

            if (outcome is not null)
            {
                final = await RecordOutcomeAsync(item, JobStatus.Running, item.Attempt, outcome).ConfigureAwait(false);
                Log.JobFinished(_logger, job.Id, job.Kind, final.Status, (final.CompletedAt - final.StartedAt) ?? TimeSpan.Zero);
            }
        }
        catch (Exception exception)
        {
            Log.StoreFailed(_logger, exception, job.Id);
            failure ??= exception;
            final = Synthesize(job.State, new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, _includeExceptionDetails)));
        }
        finally
        {
            final ??= Synthesize(job.State, new JobOutcome(JobStatus.Canceled, _time.GetUtcNow()));
            try
            {
                JobInstrumentation.RunEnded(activity, final);
            }
            finally
            {
                ReleaseAndComplete(item, final, result, failure);
            }
        }
    }

    /// <summary>Runs the work: once, or under the kind's retry pipeline.</summary>
    private async Task<object?> ExecuteAsync(JobWorkItem item, CancellationToken cancellationToken)
    {
        if (item.Kind is not { } kind || !_retryPipelines.TryGetValue(kind, out var pipeline))
        {
            return await ExecuteOnceAsync(item, cancellationToken).ConfigureAwait(false);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(WorkItemKey, item);
        try
        {
            return await pipeline.ExecuteAsync(
                static async (context, state) => await state.Scheduler.ExecuteOnceAsync(state.Item, context.CancellationToken).ConfigureAwait(false),
                context,
                (Scheduler: this, Item: item)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Runs one attempt; past the kind's timeout, signals it and fails it, leaving behind work that ignores the signal.</summary>
    private async ValueTask<object?> ExecuteOnceAsync(JobWorkItem item, CancellationToken cancellationToken)
    {
        // The attempt's progress ends with it: a report written later would race the outcome, or the next attempt.
        using var context = NewContext(item);
        if (item.Kind?.Timeout is not { } timeout)
        {
            return await item.Work(context, cancellationToken).ConfigureAwait(false);
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = item.Work(context, attempt.Token);
        try
        {
            // Cancellation reaches the work through its token, as without a timeout: only the timeout stops waiting for it.
            return await work.WaitAsync(timeout, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!work.IsCompleted)
        {
            await attempt.CancelAsync().ConfigureAwait(false);
            _ = work.ContinueWith(static done => done.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

            // Asked to stop before and ignored it: the job ends cancelled, as asked; otherwise it failed by running too long.
            cancellationToken.ThrowIfCancellationRequested();
            throw new JobTimeoutException(timeout);
        }
    }

    private ExecutionJobContext NewContext(JobWorkItem item) =>
        new(item, item.Attempt, _store, _time, _options.ProgressWriteInterval, _logger);

    /// <summary>
    /// Retries in place, with exponential backoff and jitter, the exceptions the kind calls transient while the job
    /// has attempts left; before each retry the next attempt is recorded, so it shows in the job's state.
    /// </summary>
    private ResiliencePipeline BuildRetryPipeline(JobKind kind) =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = kind.Retry.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = kind.Retry.Delay,
                MaxDelay = kind.Retry.MaxDelay,
                ShouldHandle = arguments => ValueTask.FromResult(
                    arguments.Outcome.Exception is { } exception
                    && exception is not (OperationCanceledException or UnreadableRequestException)
                    && arguments.Context.Properties.GetValue(WorkItemKey, null!).Attempt < kind.Retry.MaxAttempts
                    && IsTransient(kind, exception)),
                OnRetry = arguments => OnRetryAsync(arguments.Context.Properties.GetValue(WorkItemKey, null!), arguments.Outcome.Exception!, arguments.RetryDelay),
            })
            .Build();

    private bool IsTransient(JobKind kind, Exception exception)
    {
        try
        {
            return kind.Retry.ShouldRetry(exception);
        }
        catch (Exception predicateFailure)
        {
            Log.JobFailed(_logger, predicateFailure, Guid.Empty, kind.Name);
            return false;
        }
    }

    /// <summary>Records the next attempt before the backoff; a job no longer running here in its attempt is stopped.</summary>
    private async ValueTask OnRetryAsync(JobWorkItem item, Exception exception, TimeSpan delay)
    {
        var failed = item.Attempt;
        Log.JobRetrying(_logger, exception, item.Id, item.Job.Kind, failed, item.Job.State.MaxAttempts, delay);
        var message = string.Create(CultureInfo.InvariantCulture, $"Attempt {failed} of {item.Job.State.MaxAttempts} failed; the next starts in {delay.TotalSeconds:0.#} s.");
        var next = await WhileUnavailableAsync(item.Id, () => _store.TryStartNextAttemptAsync(item.Id, failed, message)).ConfigureAwait(false);
        if (next is null)
        {
            Log.JobLost(_logger, item.Id, item.Job.Kind, failed);
            await item.CancelAsync().ConfigureAwait(false);
            return;
        }

        item.Attempt = next.Attempt;
        item.Job.Update(next);
    }

    /// <summary>
    /// On a durable store, puts a registered job that the shutdown interrupted back in the queue while it has
    /// attempts left, so the next server runs it.
    /// </summary>
    /// <returns>The queued state, or <see langword="null"/> when the job ends here instead.</returns>
    private async Task<JobRecord?> TryHandOverAsync(JobWorkItem item)
    {
        if (!_store.IsDurable || item.Kind is null || item.Attempt >= item.Job.State.MaxAttempts)
        {
            return null;
        }

        try
        {
            var queued = await _store.TryRequeueAsync(item.Id, item.Attempt, $"Waiting for a server: the one running attempt {item.Attempt} stopped.", _time.GetUtcNow()).ConfigureAwait(false);
            if (queued is null || queued.Status != JobStatus.Queued)
            {
                return null;
            }

            Log.JobRequeued(_logger, item.Id, item.Job.Kind, item.Attempt);
            item.Job.Update(queued);
            return queued;
        }
        catch (JobStoreUnavailableException exception)
        {
            // The job's lease runs out and another server recovers it.
            Log.StoreFailed(_logger, exception, item.Id);
            return item.Job.State;
        }
    }

    /// <summary>The outcome of work that returned <paramref name="result"/>: its JSON, or a failure when the JSON is too large to keep.</summary>
    private JobOutcome Succeeded(LongRunningJob job, Type resultType, object? result)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(result, resultType, _options.SerializerOptions);
        if (json.Length > _options.MaxResultSize)
        {
            Log.ResultTooLarge(_logger, job.Id, job.Kind, json.Length);
            return new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: JobErrors.ResultTooLarge(json.Length, _options.MaxResultSize));
        }

        return new JobOutcome(JobStatus.Succeeded, _time.GetUtcNow(), Result: JsonSerializer.Deserialize<JsonElement>(json));
    }

    /// <summary>Records an ad-hoc job that never ran as cancelled.</summary>
    private async Task FinishQueuedAsync(JobWorkItem item, JobError? error)
    {
        var final = await RecordOutcomeAsync(item, JobStatus.Queued, expectedAttempt: 0, new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: error)).ConfigureAwait(false);
        ReleaseAndComplete(item, final, result: null, exception: null);
    }

    /// <summary>
    /// On a store no other server shares, cancels the jobs of registered kinds still queued when the host stops:
    /// nobody would run them. Completes the handles of those started here.
    /// </summary>
    private async Task CancelStoreQueueAsync(List<PendingJob> pending)
    {
        try
        {
            JobCursor? after = null;
            do
            {
                var page = await _store.ListAsync(new JobQuery { Status = JobStatus.Queued, After = after, PageSize = JobQuery.MaxPageSize }).ConfigureAwait(false);
                foreach (var job in page.Items)
                {
                    var outcome = new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: JobErrors.StoppedByShutdown);
                    await _store.TryFinishAsync(job.Id, JobStatus.Queued, job.Attempt, outcome).ConfigureAwait(false);
                }

                after = page.Next;
            }
            while (after is not null);
        }
        catch (Exception exception)
        {
            Log.StoreFailed(_logger, exception, Guid.Empty);
        }

        foreach (var job in pending)
        {
            var state = await _store.GetAsync(job.Handle.Id).ConfigureAwait(false) ?? job.Handle.State;
            CompleteFromStore(job, state);
        }
    }

    /// <summary>
    /// Writes <paramref name="outcome"/> if the job is still in <paramref name="expected"/> and
    /// <paramref name="expectedAttempt"/>; otherwise the job's stored state wins. When the store cannot be
    /// reached, the outcome is what the handle reports.
    /// </summary>
    private async ValueTask<JobRecord> RecordOutcomeAsync(JobWorkItem item, JobStatus expected, int expectedAttempt, JobOutcome outcome)
    {
        try
        {
            return await WhileUnavailableAsync(item.Id, async () =>
                    await _store.TryFinishAsync(item.Id, expected, expectedAttempt, outcome).ConfigureAwait(false)
                    ?? await _store.GetAsync(item.Id).ConfigureAwait(false))
                .ConfigureAwait(false)
                ?? Synthesize(item.Job.State, outcome);
        }
        catch (Exception exception)
        {
            Log.StoreFailed(_logger, exception, item.Id);
            return Synthesize(item.Job.State, outcome);
        }
    }

    /// <summary>
    /// Frees the job's capacity, then completes its handle, then tells a waiting shutdown that all jobs are
    /// done. In this order, code that continues from the job's <see cref="LongRunningJob.Task"/> can start
    /// the next job in the capacity it freed, and shutdown returns only once every handle is complete. A job that
    /// goes on elsewhere (another server took it over) keeps its handle open, following the job in the store.
    /// </summary>
    private void ReleaseAndComplete(JobWorkItem item, JobRecord final, object? result, Exception? exception)
    {
        var drained = Release(item);
        try
        {
            if (!final.Status.IsFinished() && item.Kind is { } kind && _store.IsDurable && !_shutdown.IsCancellationRequested)
            {
                lock (_gate)
                {
                    _pending[item.Id] = new PendingJob(item.Job, kind);
                }

                FollowIfPending(item.Id);
            }
            else
            {
                item.Job.Complete(final, result, exception);
            }
        }
        finally
        {
            item.Cancellation.Dispose();
            if (drained)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// On a shared store, follows a job started here that no slot of this server has claimed: its handle completes
    /// when the job finishes on whichever server runs it, unless this server claims it first.
    /// </summary>
    private void FollowIfPending(Guid id)
    {
        PendingJob? pending;
        lock (_gate)
        {
            if (!_pending.TryGetValue(id, out pending))
            {
                return;
            }
        }

        if (pending.TryStartFollowing(_shutdown.Token) is { } token)
        {
            _ = FollowAsync(pending, token);
        }
    }

    private async Task FollowAsync(PendingJob pending, CancellationToken token)
    {
        var handle = pending.Handle;
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (true)
            {
                JobRecord? state;
                try
                {
                    state = await _store.WaitForChangeAsync(handle.Id, handle.State.Version, token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    // Whatever went wrong, the handle must not stay pending while the job goes on: wait, then ask again.
                    if (exception is not JobStoreUnavailableException)
                    {
                        Log.FollowingFailed(_logger, exception, handle.Id, delay);
                    }

                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    delay = Doubled(delay);
                    continue;
                }

                state ??= Synthesize(handle.State, new JobOutcome(JobStatus.Canceled, _time.GetUtcNow()));
                handle.Update(state);
                if (!state.Status.IsFinished())
                {
                    continue;
                }

                lock (_gate)
                {
                    if (!_pending.Remove(handle.Id))
                    {
                        return;
                    }
                }

                CompleteFromStore(pending, state);
                return;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // This server claimed the job, or it stops.
        }
    }

    /// <summary>Completes the handle of a job that finished in the store, with its result read from JSON.</summary>
    private void CompleteFromStore(PendingJob pending, JobRecord final)
    {
        pending.StopFollowing();
        object? result = null;
        Exception? exception = null;
        if (final.Status == JobStatus.Succeeded && final.Result is { } json)
        {
            try
            {
                result = json.Deserialize(pending.Kind.ResultType, _options.SerializerOptions);
            }
            catch (Exception readFailure) when (readFailure is JsonException or NotSupportedException)
            {
                final = final with { Status = JobStatus.Failed, Error = JobErrors.FromException(readFailure, final.Id, _includeExceptionDetails) };
                exception = readFailure;
            }
        }

        pending.Handle.Complete(final, result, exception);
    }

    /// <summary>
    /// Runs a store write again, with growing delays, while the store is unreachable, so a job that starts or
    /// finishes during a database outage is recorded when the database is back. Gives up once the host stops.
    /// A <see cref="ValueTask{TResult}"/>, like the helpers around it: the in-memory store answers synchronously,
    /// so a job's store writes then allocate no task.
    /// </summary>
    private async ValueTask<T> WhileUnavailableAsync<T>(Guid jobId, Func<ValueTask<T>> write)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await write().ConfigureAwait(false);
            }
            catch (JobStoreUnavailableException exception) when (!_shutdown.IsCancellationRequested)
            {
                Log.StoreUnavailable(_logger, exception, jobId, delay);
                try
                {
                    await Task.Delay(delay, _time, _shutdown.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The store's exception, with its own stack: what the caller logs.
                    ExceptionDispatchInfo.Throw(exception);
                }

                delay = Doubled(delay);
            }
        }
    }

    /// <summary>
    /// Ends jobs that ignored cancellation past the shutdown timeout and frees their capacity: on a durable store
    /// registered jobs with attempts left go back to the queue, the others are recorded as cancelled. Their work is
    /// left behind, and whatever it returns later is discarded by the guarded transitions.
    /// </summary>
    private async Task AbandonRunningJobsAsync()
    {
        List<JobWorkItem> running;
        lock (_gate)
        {
            running = [.. _active.Values.Where(item => item.IsRunning)];
        }

        foreach (var item in running)
        {
            Log.JobAbandoned(_logger, item.Id, item.Job.Kind);
            var final = await TryHandOverAsync(item).ConfigureAwait(false);
            if (final is null)
            {
                var outcome = new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: JobErrors.AbandonedAtShutdown);

                // An ad-hoc job dispatched a moment ago may not have recorded its start yet, or may be recording it now.
                final = await RecordOutcomeAsync(item, JobStatus.Running, item.Attempt, outcome).ConfigureAwait(false);
                if (final.Status == JobStatus.Queued)
                {
                    final = await RecordOutcomeAsync(item, JobStatus.Queued, final.Attempt, outcome).ConfigureAwait(false);
                }

                if (!final.Status.IsFinished() && final.Attempt > 0)
                {
                    final = await RecordOutcomeAsync(item, JobStatus.Running, final.Attempt, outcome).ConfigureAwait(false);
                }
            }

            // Its cancellation source stays undisposed: the abandoned work still holds the token.
            Release(item);
            item.Job.Complete(final, result: null, exception: null);
        }

        _drained.TrySetResult();
    }

    /// <summary>Frees the item's capacity and slot, and fills free slots: queued ad-hoc jobs first, then claims.</summary>
    /// <returns>Whether the scheduler is stopping and no job is left: the caller then signals <see cref="_drained"/>.</returns>
    private bool Release(JobWorkItem item)
    {
        lock (_gate)
        {
            if (!_active.Remove(item.Id))
            {
                return false;
            }

            if (item.IsRunning)
            {
                item.IsRunning = false;
                _running--;
            }

            DispatchAdHocQueue();
            if (!_stopping && _running < _options.MaxConcurrency)
            {
                SignalClaim();
            }

            return IsDrained;
        }
    }

    /// <summary>Whether the scheduler stops and holds no job and no slot reserved for a claim; read under the lock.</summary>
    private bool IsDrained => _stopping && _active.Count == 0 && _running == 0;

    /// <summary>Gives free slots to the ad-hoc jobs waiting in this server's queue; called under the lock.</summary>
    private void DispatchAdHocQueue()
    {
        while (!_stopping && _running < _options.MaxConcurrency && _adHocQueue.First is { } next)
        {
            _adHocQueue.RemoveFirst();
            var item = next.Value;
            item.QueueNode = null;
            _running++;
            item.IsRunning = true;
            RunOnThreadPool(item, started: null);
        }
    }

    /// <summary>The next wait while the store is unreachable: twice the last, at most <see cref="MaxStoreRetryDelay"/>.</summary>
    private static TimeSpan Doubled(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStoreRetryDelay.Ticks));

    /// <summary>The state a job is known to end in when the store could not record it.</summary>
    private static JobRecord Synthesize(JobRecord state, JobOutcome outcome) => state with
    {
        Status = outcome.Status,
        CompletedAt = outcome.CompletedAt,
        Result = outcome.Result,
        Error = outcome.Error,
        Version = state.Version + 1,
    };

    /// <summary>The handle of a job of a registered kind started here that no slot of this server runs (yet).</summary>
    private sealed class PendingJob(LongRunningJob handle, JobKind kind)
    {
        private readonly Lock _gate = new();
        private CancellationTokenSource? _following;
        private bool _stopped;

        public LongRunningJob Handle { get; } = handle;

        public JobKind Kind { get; } = kind;

        /// <summary>Starts following the job in the store, unless it is followed already or was stopped.</summary>
        /// <returns>The token that ends the following, or <see langword="null"/> when not started.</returns>
        public CancellationToken? TryStartFollowing(CancellationToken shutdown)
        {
            lock (_gate)
            {
                if (_following is not null || _stopped)
                {
                    return null;
                }

                _following = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
                return _following.Token;
            }
        }

        /// <summary>Stops following for good: this server runs the job now, or its handle completes.</summary>
        /// <returns>The handle.</returns>
        public LongRunningJob StopFollowing()
        {
            CancellationTokenSource? following;
            lock (_gate)
            {
                _stopped = true;
                following = _following;
                _following = null;
            }

            following?.Cancel();
            following?.Dispose();
            return Handle;
        }
    }

    /// <summary>Thrown in place of the work of a claimed job whose stored request does not deserialize.</summary>
    private sealed class UnreadableRequestException(Exception inner) : Exception(inner.Message, inner);
}
