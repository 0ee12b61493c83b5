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
/// Runs the completion callbacks and delivers the notifications of every job this server finishes, in the
/// background: a callback or a delivery that throws, hangs or fails is logged and never changes the job's outcome,
/// delays another job, or stops the server. When the host stops, after the scheduler, work in progress gets
/// <see cref="LongJobsOptions.ShutdownTimeout"/>, then is cancelled.
/// </summary>
internal sealed class JobFinishedDispatcher : IHostedService, IDisposable
{
    private readonly IJobChangeFeed _store;
    private readonly JobFinishedCallback[] _everyJob;
    private readonly Dictionary<string, JobFinishedCallback[]> _byKind;
    private readonly INotificationChannel[] _channels;
    private readonly JobLinks _links;
    private readonly IServiceScopeFactory _scopes;
    private readonly LongJobsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopping = new();

    public JobFinishedDispatcher(
        IJobChangeFeed store,
        IEnumerable<JobFinishedCallback> callbacks,
        IEnumerable<INotificationChannel> channels,
        JobLinks links,
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
        _channels = [.. channels];
        _links = links;
        _scopes = scopes;
        _options = options.Value;
        _time = time;
        _logger = logger;

        // Subscribed from construction, before the scheduler (registered after this) can finish a job.
        _store.JobFinished += OnJobFinished;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits for callbacks and deliveries in progress for the shutdown timeout (or until the host gives up), then cancels them.</summary>
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
        var notified = job.Notifications is { } notifications && _channels.Any(channel => channel.IsRequested(notifications));
        if (_everyJob.Length == 0 && kindCallbacks is null && !notified)
        {
            return;
        }

        var dispatch = Task.Run(() => DispatchAsync(job, kindCallbacks ?? []));
        _inFlight.TryAdd(dispatch, 0);
        dispatch.ContinueWith(static (done, inFlight) => ((ConcurrentDictionary<Task, byte>)inFlight!).TryRemove(done, out _), _inFlight, TaskScheduler.Default);
    }

    private async Task DispatchAsync(JobRecord job, JobFinishedCallback[] kindCallbacks)
    {
        var token = _stopping.Token;
        var work = new List<Task>();
        if (job.Notifications is { } notifications)
        {
            work.AddRange(_channels.Where(channel => channel.IsRequested(notifications)).Select(channel => DeliverAsync(channel, job, token)));
        }

        if (_everyJob.Length > 0 || kindCallbacks.Length > 0)
        {
            work.Add(RunCallbacksAsync(job, kindCallbacks, token));
        }

        await Task.WhenAll(work).ConfigureAwait(false);
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

    private async Task DeliverAsync(INotificationChannel channel, JobRecord job, CancellationToken cancellationToken)
    {
        try
        {
            await channel.DeliverAsync(job, _links.StatusUrl(job.Id), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.NotificationAbandoned(_logger, channel.Name, job.Id);
        }
        catch (Exception exception)
        {
            Log.NotificationFailed(_logger, exception, channel.Name, job.Id);
        }
    }
}
