using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Execution;

/// <summary>
/// Runs at most <see cref="LongJobsOptions.MaxConcurrency"/> jobs at once and queues up to
/// <see cref="LongJobsOptions.MaxQueuedJobs"/> more. There are no idle workers: a job is dispatched to the
/// thread pool when it is accepted and a slot is free, or when a running job releases its slot.
/// </summary>
internal sealed class JobScheduler : IJobScheduler, IHostedLifecycleService, IDisposable
{
    private readonly IJobStore _store;
    private readonly JobKindRegistry _kinds;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LongJobsOptions _options;
    private readonly bool _includeExceptionDetails;

    /// <summary>The longest wait between attempts to record a job's state while the store is unreachable.</summary>
    private static readonly TimeSpan MaxStoreRetryDelay = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, JobWorkItem> _active = [];
    private readonly LinkedList<JobWorkItem> _queue = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private bool _stopping;

    public JobScheduler(
        IJobStore store,
        JobKindRegistry kinds,
        IServiceScopeFactory scopes,
        TimeProvider time,
        IOptions<LongJobsOptions> options,
        ILogger<JobScheduler> logger,
        IHostEnvironment? environment = null)
    {
        _store = store;
        _kinds = kinds;
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _includeExceptionDetails = _options.IncludeExceptionDetails ?? environment?.IsDevelopment() ?? false;
    }

    public Task<LongRunningJob<TResult>> StartAsync<TResult>(Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) =>
        StartAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public async Task<LongRunningJob<TResult>> StartAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<TResult>(NewRecord(kind, request: null));
        await EnqueueAsync(job, typeof(TResult), async (context, token) => await work(context, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return job;
    }

    public Task<LongRunningJob> StartAsync(Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        StartAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public async Task<LongRunningJob> StartAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureAdHocKind(kind);
        var job = new LongRunningJob<object?>(NewRecord(kind, request: null));
        await EnqueueAsync(
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

    public Task<LongRunningJob> StartKindAsync(string kind, object request, CancellationToken cancellationToken = default)
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
        return StartKindCoreAsync(jobKind, request, cancellationToken);
    }

    private async Task<LongRunningJob> StartKindCoreAsync(JobKind kind, object request, CancellationToken cancellationToken) =>
        (await StartValidatedAsync(kind, request, idempotencyKey: null, cancellationToken).ConfigureAwait(false)).Job!;

    /// <summary>
    /// Starts a job of <paramref name="kind"/> whose request has been type-checked and validated. When a job with
    /// <paramref name="idempotencyKey"/> exists already, starts nothing and returns that job's state without a handle.
    /// </summary>
    internal async Task<(LongRunningJob? Job, JobRecord State)> StartValidatedAsync(JobKind kind, object request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var serialized = JsonSerializer.SerializeToElement(request, kind.RequestType, _options.SerializerOptions);
        var job = kind.CreateJob(NewRecord(kind.Name, serialized) with { IdempotencyKey = idempotencyKey });
        var stored = await EnqueueAsync(job, kind.ResultType, kind.CreateWork(request, _scopes), cancellationToken).ConfigureAwait(false);
        return stored.Id == job.Id ? (job, job.State) : (null, stored);
    }

    public async Task<JobRecord?> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var state = await _store.RequestCancellationAsync(id, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        JobWorkItem? item;
        bool wasQueued;
        lock (_gate)
        {
            if (!_active.TryGetValue(id, out item))
            {
                return state;
            }

            wasQueued = item.QueueNode is not null;
            if (wasQueued)
            {
                _queue.Remove(item.QueueNode!);
                item.QueueNode = null;
            }
        }

        try
        {
            await item.Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The job finished between the lookup and the signal: nothing left to cancel.
        }

        if (wasQueued)
        {
            await FinishQueuedAsync(item, error: null).ConfigureAwait(false);
        }

        return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? item.Job.State;
    }

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

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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

    /// <summary>Cancels queued jobs, signals running ones, and waits up to the shutdown timeout for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<JobWorkItem> queued;
        int running;
        lock (_gate)
        {
            _stopping = true;
            queued = [.. _queue];
            _queue.Clear();
            foreach (var item in queued)
            {
                item.QueueNode = null;
            }

            running = _running;
            if (_active.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        Log.Stopping(_logger, queued.Count, running);
        foreach (var item in queued)
        {
            await FinishQueuedAsync(item, JobErrors.StoppedByShutdown).ConfigureAwait(false);
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
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

    private JobRecord NewRecord(string kind, JsonElement? request) => new()
    {
        Id = Guid.CreateVersion7(_time.GetUtcNow()),
        Kind = kind,
        CreatedAt = _time.GetUtcNow(),
        Request = request,
    };

    private void EnsureAdHocKind(string kind)
    {
        JobKindRegistry.EnsureValidName(kind);
        if (_kinds.Contains(kind))
        {
            throw new ArgumentException($"'{kind}' is a registered job kind; start it with {nameof(StartKindAsync)}, or give the ad-hoc job another name.", nameof(kind));
        }
    }

    /// <summary>
    /// Reserves capacity, records the job as queued, then runs it or queues it; or, when the store already holds a
    /// job with the same idempotency key, frees the reservation and returns that job's state.
    /// </summary>
    private async Task<JobRecord> EnqueueAsync(LongRunningJob job, Type resultType, Func<JobContext, CancellationToken, Task<object?>> work, CancellationToken cancellationToken)
    {
        var item = new JobWorkItem(job, resultType, work, _shutdown.Token);
        lock (_gate)
        {
            if (_stopping)
            {
                throw new JobRejectedException(JobRejectionReason.ShuttingDown, _options.QueueFullRetryAfter);
            }

            if (_active.Count >= _options.MaxConcurrency + _options.MaxQueuedJobs)
            {
                throw new JobRejectedException(JobRejectionReason.QueueFull, _options.QueueFullRetryAfter);
            }

            _active.Add(job.Id, item);
        }

        JobRecord stored;
        try
        {
            stored = await _store.InsertAsync(job.State, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseReservation(item);
            throw;
        }

        if (stored.Id != job.Id)
        {
            ReleaseReservation(item);
            return stored;
        }

        job.Update(stored);

        Log.JobQueued(_logger, job.Id, job.Kind);
        bool cancelled;
        lock (_gate)
        {
            cancelled = _stopping || item.Cancellation.IsCancellationRequested;
            if (!cancelled)
            {
                if (_running < _options.MaxConcurrency)
                {
                    Dispatch(item);
                }
                else
                {
                    item.QueueNode = _queue.AddLast(item);
                }
            }
        }

        if (cancelled)
        {
            await FinishQueuedAsync(item, _stopping ? JobErrors.StoppedByShutdown : null).ConfigureAwait(false);
        }

        return stored;
    }

    /// <summary>Frees the capacity reserved for a job that was never recorded, or that the store already had.</summary>
    private void ReleaseReservation(JobWorkItem item)
    {
        var drained = Release(item);
        item.Cancellation.Dispose();
        if (drained)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Gives <paramref name="item"/> an execution slot; called under the lock.</summary>
    private void Dispatch(JobWorkItem item)
    {
        _running++;
        item.IsRunning = true;
        _ = Task.Run(() => RunAsync(item));
    }

    private async Task RunAsync(JobWorkItem item)
    {
        var job = item.Job;
        object? result = null;
        Exception? failure = null;
        JobRecord? final = null;
        try
        {
            var running = await WhileUnavailableAsync(job.Id, () => _store.TryStartAsync(job.Id, _time.GetUtcNow())).ConfigureAwait(false);
            if (running is null)
            {
                // Cancelled, or abandoned at shutdown, between dispatch and start.
                final = await _store.GetAsync(job.Id).ConfigureAwait(false);
                return;
            }

            job.Update(running);
            if (running.CancellationRequested)
            {
                // Cancelled through another server sharing the store while it waited in this one's queue.
                await item.Cancellation.CancelAsync().ConfigureAwait(false);
            }

            var token = item.Cancellation.Token;
            JobOutcome outcome;
            try
            {
                token.ThrowIfCancellationRequested();
                result = await item.Work(new ExecutionJobContext(item, _store, _time, _options.ProgressWriteInterval, _logger), token).ConfigureAwait(false);
                outcome = Succeeded(job, item.ResultType, result);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                outcome = new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: _shutdown.IsCancellationRequested ? JobErrors.StoppedByShutdown : null);
            }
            catch (Exception exception)
            {
                failure = exception;
                Log.JobFailed(_logger, exception, job.Id, job.Kind);
                outcome = new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, _includeExceptionDetails));
            }

            final = await RecordOutcomeAsync(item, JobStatus.Running, outcome).ConfigureAwait(false);
            Log.JobFinished(_logger, job.Id, job.Kind, final.Status, (final.CompletedAt - final.StartedAt) ?? TimeSpan.Zero);
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
            ReleaseAndComplete(item, final, result, failure);
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

    /// <summary>Records a job that never ran as cancelled.</summary>
    private async Task FinishQueuedAsync(JobWorkItem item, JobError? error)
    {
        var final = await RecordOutcomeAsync(item, JobStatus.Queued, new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: error)).ConfigureAwait(false);
        ReleaseAndComplete(item, final, result: null, exception: null);
    }

    /// <summary>
    /// Writes <paramref name="outcome"/> if the job is still in <paramref name="expected"/>; otherwise the job's
    /// stored state wins. When the store cannot be reached, the outcome is what the handle reports.
    /// </summary>
    private async Task<JobRecord> RecordOutcomeAsync(JobWorkItem item, JobStatus expected, JobOutcome outcome)
    {
        try
        {
            return await WhileUnavailableAsync(item.Id, async () =>
                    await _store.TryFinishAsync(item.Id, expected, outcome).ConfigureAwait(false)
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
    /// the next job in the capacity it freed, and shutdown returns only once every handle is complete.
    /// </summary>
    private void ReleaseAndComplete(JobWorkItem item, JobRecord final, object? result, Exception? exception)
    {
        var drained = Release(item);
        try
        {
            item.Job.Complete(final, result, exception);
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
    /// Runs a store write again, with growing delays, while the store is unreachable, so a job that starts or
    /// finishes during a database outage is recorded when the database is back. Gives up once the host stops.
    /// </summary>
    private async Task<T> WhileUnavailableAsync<T>(Guid jobId, Func<ValueTask<T>> write)
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
                    throw exception;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStoreRetryDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Records jobs that ignored cancellation past the shutdown timeout as cancelled and frees their capacity;
    /// their work is left behind, and whatever it returns later is discarded by the guarded transitions.
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
            var outcome = new JobOutcome(JobStatus.Canceled, _time.GetUtcNow(), Error: JobErrors.AbandonedAtShutdown);

            // A job dispatched a moment ago may not have recorded its start yet, or may be recording it now.
            var final = await RecordOutcomeAsync(item, JobStatus.Running, outcome).ConfigureAwait(false);
            if (final.Status == JobStatus.Queued)
            {
                final = await RecordOutcomeAsync(item, JobStatus.Queued, outcome).ConfigureAwait(false);
            }

            if (!final.Status.IsFinished())
            {
                final = await RecordOutcomeAsync(item, JobStatus.Running, outcome).ConfigureAwait(false);
            }

            // Its cancellation source stays undisposed: the abandoned work still holds the token.
            Release(item);
            item.Job.Complete(final, result: null, exception: null);
        }

        _drained.TrySetResult();
    }

    /// <summary>Frees the item's capacity and slot, and dispatches queued jobs into free slots.</summary>
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

            while (!_stopping && _running < _options.MaxConcurrency && _queue.First is { } next)
            {
                _queue.RemoveFirst();
                next.Value.QueueNode = null;
                Dispatch(next.Value);
            }

            return _stopping && _active.Count == 0;
        }
    }

    /// <summary>The state a job is known to end in when the store could not record it.</summary>
    private static JobRecord Synthesize(JobRecord state, JobOutcome outcome) => state with
    {
        Status = outcome.Status,
        CompletedAt = outcome.CompletedAt,
        Result = outcome.Result,
        Error = outcome.Error,
        Version = state.Version + 1,
    };
}
