using System.Collections.Concurrent;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Notifications;

/// <summary>
/// Runs the completion callbacks of every job this server finishes, in the background: a callback that throws, hangs
/// or fails is logged and never changes the job's outcome, delays another job, or stops the server. When the host
/// stops, after the scheduler, callbacks in progress get <see cref="LongJobsOptions.ShutdownTimeout"/>, then are
/// cancelled. Notifications (webhooks, email) go through the store's outbox instead (<see cref="Delivery.OutboxWorker"/>).
/// </summary>
internal sealed class JobFinishedDispatcher : IHostedService, IDisposable
{
    private readonly IJobChangeFeed _store;
    private readonly JobFinishedCallback[] _everyJob;
    private readonly Dictionary<string, JobFinishedCallback[]> _byKind;
    private readonly IServiceScopeFactory _scopes;
    private readonly LongJobsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();

    public JobFinishedDispatcher(
        IJobChangeFeed store,
        IEnumerable<JobFinishedCallback> callbacks,
        IServiceScopeFactory scopes,
        IOptions<LongJobsOptions> options,
        TimeProvider time,
        ILogger<JobFinishedDispatcher> logger)
    {
        _store = store;
        var all = callbacks.ToArray();
        _everyJob = [.. all.Where(callback => callback.Kind is null)];
        _byKind = all.Where(callback => callback.Kind is not null)
            .GroupBy(callback => callback.Kind!, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.ToArray(), StringComparer.Ordinal);
        _scopes = scopes;
        _options = options.Value;
        _time = time;
        _logger = logger;

        // Subscribed from construction, before the scheduler (registered after this) can finish a job.
        _store.JobFinished += OnJobFinished;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits for callbacks in progress for the shutdown timeout (or until the host gives up), then cancels them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _store.JobFinished -= OnJobFinished;
        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _store.JobFinished -= OnJobFinished;
        _stopping.Dispose();
    }

    private void OnJobFinished(JobRecord job)
    {
        var kindCallbacks = _byKind.GetValueOrDefault(job.Kind);
        if (_everyJob.Length == 0 && kindCallbacks is null)
        {
            return;
        }

        var dispatch = Task.Run(() => RunCallbacksAsync(job, kindCallbacks ?? [], _stopping.Token));
        _inFlight.TryAdd(dispatch, 0);
        dispatch.ContinueWith(static (done, inFlight) => ((ConcurrentDictionary<Task, byte>)inFlight!).TryRemove(done, out _), _inFlight, TaskScheduler.Default);
    }

    /// <summary>Runs the callbacks for every job, then those of the job's kind, one at a time, in one scope.</summary>
    private async Task RunCallbacksAsync(JobRecord job, JobFinishedCallback[] kindCallbacks, CancellationToken cancellationToken)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var finished = new FinishedJob(job.ToSnapshot(), scope.ServiceProvider, _options.SerializerOptions);
            foreach (var callback in _everyJob.Concat(kindCallbacks))
            {
                try
                {
                    await callback.Callback(finished, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    Log.CompletionCallbackFailed(_logger, exception, job.Id, job.Kind);
                }
            }
        }
    }
}
