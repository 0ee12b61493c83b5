using System.Diagnostics.CodeAnalysis;
using LongJobs.Server.Execution.Claiming;
using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Logging;
using LongJobs.Server.Execution.Running;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Observability;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Runs at most <see cref="LongJobsOptions.MaxConcurrency"/> jobs at once. Jobs of registered kinds wait in the
/// store's queue, from which this server (and every other server sharing the store) claims the oldest whenever it
/// has a free slot; ad-hoc jobs wait in this server's own queue, since only it holds their delegates, and take free
/// slots first. This is the facade: <see cref="IJobScheduler"/> for applications, <see cref="IRegisteredJobStarter"/>
/// for the REST API, and the hosted service; its constructor composes the engine, whose parts each do one thing, and
/// hands each part only the roles of the store it uses.
/// </summary>
internal sealed class JobScheduler : IJobScheduler, IRegisteredJobStarter, IHostedLifecycleService, IDisposable
{
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly SlotPool _pool;
    private readonly FollowedJobs _followed;
    private readonly JobCompleter _completer;
    private readonly JobKindRegistry _kinds;
    private readonly QueueClaimer _claimer;
    private readonly JobSubmission _submission;
    private readonly ScheduleRegistry _schedules;
    private readonly SchedulerLifecycle _lifecycle;

    /// <summary>What claims this server's jobs from the store's queue (tests read whether a job waits for a slot).</summary>
    internal QueueClaimer Claimer => _claimer;

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
        var settings = options.Value;
        var includeExceptionDetails = settings.IncludeExceptionDetails ?? environment?.IsDevelopment() ?? false;

        // Never disposed: see SchedulerLifecycle.Dispose.
        var shutdown = new CancellationTokenSource();
        _store = store;
        _time = time;
        var topology = StoreTopology.Of(store, time, settings);
        _pool = new SlotPool(settings.MaxConcurrency, new KindSlots(kinds.Kinds));
        shutdown.Token.Register(_pool.CancelAll);
        var writer = new JobStateWriter(store, store, time, logger, shutdown.Token);
        _followed = new FollowedJobs(store, topology, time, settings.SerializerOptions, includeExceptionDetails, logger, shutdown.Token);
        _completer = new JobCompleter(_pool, _followed, writer, time);
        var handOver = new ShutdownHandOver(_pool, topology, writer, _completer, time, logger);
        var logs = new JobLogWriter(store, time, settings, logger);
        var attempts = new AttemptRunner(new ProgressWriter(store, time, settings.ProgressWriteInterval, logger), logs);
        var pipelines = new KindPipelines(kinds, attempts, writer, time, includeExceptionDetails, logger);
        var runner = new JobRunner(store, topology, writer, pipelines, _completer, handOver, instrumentation, logs, scopes, settings, includeExceptionDetails, time, logger, shutdown.Token);
        var claimer = _claimer = new QueueClaimer(store, store, kinds, _pool, topology, _followed, runner, writer, time, settings, includeExceptionDetails, logger, shutdown.Token);
        _kinds = kinds;
        _pool.Connect(item => runner.Dispatch(item, started: null), claimer.OnSlotFreed);
        var admission = new AdmissionGate(_pool, topology, settings);
        var dueJobs = new DueJobQueuer(store, claimer, topology, time, settings.QueuePollInterval, logger, shutdown.Token);
        _submission = new JobSubmission(store, store, kinds, admission, _pool, topology, _followed, claimer, dueJobs, runner, _completer, settings, time, logger);
        _schedules = new ScheduleRegistry(kinds, store, time);
        var recurring = new RecurringJobStarter(store, _schedules, _submission, time, settings.QueuePollInterval, logger, shutdown.Token);
        _lifecycle = new SchedulerLifecycle(_pool, claimer, dueJobs, recurring, topology, _followed, _completer, handOver, writer, logs, shutdown, settings, time, logger);
        instrumentation.Observe(() => _pool.Running, topology.QueueLengthForMetrics);
    }

    public Task<LongRunningJob<TResult>> StartAsync<TResult>(Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) =>
        _submission.StartAdHocAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public Task<LongRunningJob<TResult>> StartAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) =>
        _submission.StartAdHocAsync(kind, work, cancellationToken);

    public Task<LongRunningJob> StartAsync(Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        _submission.StartAdHocAsync(JobKindRegistry.AdHocKind, work, cancellationToken);

    public Task<LongRunningJob> StartAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        _submission.StartAdHocAsync(kind, work, cancellationToken);

    public Task<LongRunningJob> StartKindAsync(string kind, object request, CancellationToken cancellationToken = default) =>
        _submission.StartKindAsync(kind, request, notBefore: null, cancellationToken);

    public Task<LongRunningJob> ScheduleKindAsync(string kind, object request, DateTimeOffset notBefore, CancellationToken cancellationToken = default) =>
        _submission.StartKindAsync(kind, request, notBefore, cancellationToken);

    public Task<LongRunningJob> ScheduleKindAsync(string kind, object request, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return _submission.StartKindAsync(kind, request, _time.GetUtcNow() + delay, cancellationToken);
    }

    public Task<IReadOnlyList<LongRunningJob>> StartManyAsync(string kind, IEnumerable<object> requests, CancellationToken cancellationToken = default) =>
        _submission.StartManyAsync(kind, requests, cancellationToken);

    public Task<IReadOnlyList<(JobRecord State, StartOutcome Outcome)>> StartValidatedManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, CancellationToken cancellationToken) =>
        _submission.StartValidatedManyAsync(kind, starts, cancellationToken);

    public Task<(JobRecord State, StartOutcome Outcome)> StartValidatedAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, CancellationToken cancellationToken) =>
        _submission.StartValidatedAsync(kind, start, notBefore, cancellationToken);

    public Task<KindPause> PauseKindAsync(string kind, CancellationToken cancellationToken = default) =>
        _store.PauseKindAsync(RegisteredKind(kind), _time.GetUtcNow(), cancellationToken).AsTask();

    public async Task<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default)
    {
        var resumed = await _store.ResumeKindAsync(RegisteredKind(kind), cancellationToken).ConfigureAwait(false);
        if (resumed)
        {
            // The kind's waiting jobs may be claimed now: here at once (on a shared store, the others hear it from the store).
            _claimer.MayHaveQueuedJobs();
            _claimer.Wake();
        }

        return resumed;
    }

    public Task<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default) =>
        _store.GetPausedKindsAsync(cancellationToken).AsTask();

    public Task<IReadOnlyList<JobSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default) => _schedules.ListAsync(cancellationToken);

    public Task<JobSchedule> PauseScheduleAsync(string schedule, CancellationToken cancellationToken = default) => _schedules.PauseAsync(schedule, cancellationToken);

    public Task<JobSchedule> ResumeScheduleAsync(string schedule, CancellationToken cancellationToken = default) => _schedules.ResumeAsync(schedule, cancellationToken);

    public async Task<JobSnapshot?> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var state = await _store.RequestCancellationAsync(id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        var item = _pool.FindToCancel(id, out var wasWaiting);
        if (item is null)
        {
            if (state.Status.IsFinished())
            {
                // A job of a registered kind started here, cancelled while it waited in the store's queue.
                _followed.TryComplete(id, state);
            }

            return state.ToSnapshot();
        }

        await item.CancelAsync().ConfigureAwait(false);
        if (wasWaiting)
        {
            await _completer.CancelQueuedAsync(item, error: null).ConfigureAwait(false);
        }

        return (await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? item.Job.Row()).ToSnapshot();
    }

    private string RegisteredKind(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return _kinds.TryGet(kind, out var found) ? found.Name : throw new KeyNotFoundException($"No job kind named '{kind}' is registered.");
    }

    /// <summary>Finds a job this server runs, or holds in its queue of ad-hoc jobs.</summary>
    public Task<LongRunningJob?> RetryAsync(Guid id, CancellationToken cancellationToken = default) =>
        _submission.RetryAsync(id, cancellationToken);

    public bool TryGetActiveJob(Guid id, [NotNullWhen(true)] out LongRunningJob? job) => _pool.TryGetJob(id, out job);

    public IReadOnlyList<LongRunningJob> GetActiveJobs() => _pool.Jobs();

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _lifecycle.Start();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _lifecycle.BeginStopping();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _lifecycle.StopAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _lifecycle.Dispose();
}
