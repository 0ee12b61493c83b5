using System.Collections.Concurrent;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Notifications.Delivery;

/// <summary>
/// Works off the store's outbox (<see cref="IJobOutbox"/>): claims the finished jobs whose notifications are due (at
/// once when a job finishes here, when the next attempt it scheduled itself comes due, and every
/// <see cref="LongJobsOptions.QueuePollInterval"/>, which finds the jobs other servers finished, scheduled or left
/// behind), has <see cref="JobNotifier"/> make their attempts, up to <see cref="MaxInFlight"/> jobs at a time, and gives
/// each back with the time its next attempt is due.
/// Failures of the store are logged once per episode and never stop the loop. When the host stops, after the
/// scheduler, it takes what came due meanwhile once more, gives the attempts in flight
/// <see cref="LongJobsOptions.ShutdownTimeout"/>, then cancels them: their jobs are due again at once, for another server.
/// </summary>
internal sealed class OutboxWorker : IHostedService, IDisposable
{
    /// <summary>How long a claim holds a job's notifications: longer than any attempt takes, so only a server that died loses them for this long.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    /// <summary>The most jobs whose notifications are delivered at a time.</summary>
    internal const int MaxInFlight = 32;

    private readonly Guid _claimant = Guid.NewGuid();
    private readonly IJobOutbox _outbox;
    private readonly IJobChangeFeed _feed;
    private readonly JobNotifier _notifier;
    private readonly LongJobsOptions _options;
    private readonly TimeProvider _time;
    private readonly FailureEpisode _claims;
    private readonly FailureEpisode _releases;
    private readonly FailureEpisode _deliveries;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopAttempts = new();
    private readonly Lock _nextDueGate = new();
    private TaskCompletionSource _wake = NewWake();
    private DateTimeOffset? _nextDue;
    private Task _loop = Task.CompletedTask;

    public OutboxWorker(IJobOutbox outbox, IJobChangeFeed feed, JobNotifier notifier, IOptions<LongJobsOptions> options, TimeProvider time, ILogger<OutboxWorker> logger)
    {
        _outbox = outbox;
        _feed = feed;
        _notifier = notifier;
        _options = options.Value;
        _time = time;
        _claims = new FailureEpisode("Taking due notifications from the outbox", logger, time);
        _releases = new FailureEpisode("Scheduling the next attempts of notifications", logger, time);
        _deliveries = new FailureEpisode("Delivering notifications", logger, time);

        // Subscribed from construction, before the scheduler (registered after this) can finish a job.
        _feed.JobFinished += OnJobFinished;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_notifier.HasChannels)
        {
            _loop = Task.Run(() => ClaimUntilStoppedAsync(_stopClaiming.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _feed.JobFinished -= OnJobFinished;
        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_notifier.HasChannels)
        {
            // The jobs that finished as the scheduler stopped; the host may not wait for a store that cannot answer.
            await ClaimDueAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await _stopAttempts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_inFlight.Keys).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        // WebApplicationFactory with minimal hosting disposes the services while the host's StopAsync is still in
        // flight (dotnet/aspnetcore#40271), as SchedulerLifecycle notes: cancel the sources, which hold no timer or
        // wait handle, instead of disposing them under StopAsync.
        _feed.JobFinished -= OnJobFinished;
        _stopClaiming.Cancel();
        _stopAttempts.Cancel();
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnJobFinished(JobRecord job)
    {
        if (job.Notifications is { IsEmpty: false })
        {
            Wake();
        }
    }

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    private async Task ClaimUntilStoppedAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                // Not cancelled by the stop: a claim cut short after it committed would hold its jobs for a lease.
                var wake = Volatile.Read(ref _wake);
                if (await ClaimDueAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    continue;
                }

                // With no room, a delivery that ends wakes the loop; what came due waits for it.
                var wait = _inFlight.Count >= MaxInFlight ? _options.QueuePollInterval : UntilNextLook();
                try
                {
                    if (wait > TimeSpan.Zero)
                    {
                        await wake.Task.WaitAsync(wait, _time, stopping).ConfigureAwait(false);
                    }
                }
                catch (TimeoutException)
                {
                    // Time to look again.
                }

                Interlocked.CompareExchange(ref _wake, NewWake(), wake);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    /// <summary>How long to wait before looking again: the poll interval, or less when an attempt scheduled here comes due sooner.</summary>
    private TimeSpan UntilNextLook()
    {
        lock (_nextDueGate)
        {
            return _nextDue is { } due && due - _time.GetUtcNow() < _options.QueuePollInterval ? due - _time.GetUtcNow() : _options.QueuePollInterval;
        }
    }

    /// <summary>Remembers when an attempt scheduled here comes due, to look for it then.</summary>
    private void NoteNextDue(DateTimeOffset due)
    {
        lock (_nextDueGate)
        {
            _nextDue = _nextDue < due ? _nextDue : due;
        }

        Wake();
    }

    /// <summary>Claims as many due jobs as there is room for and starts their attempts.</summary>
    /// <returns>Whether the claim filled the room: more may be due at once.</returns>
    private async Task<bool> ClaimDueAsync(CancellationToken cancellationToken)
    {
        var room = MaxInFlight - _inFlight.Count;
        if (room <= 0)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        lock (_nextDueGate)
        {
            // What came due is claimed now, or was by another server.
            _nextDue = _nextDue > now ? _nextDue : null;
        }

        IReadOnlyList<JobRecord> due;
        try
        {
            due = await _outbox.ClaimDueNotificationsAsync(_claimant, now, Lease, room, cancellationToken).ConfigureAwait(false);
            _claims.Worked();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _claims.Failed(exception);
            return false;
        }
        catch (OperationCanceledException)
        {
            // The host gave up waiting for the stop.
            return false;
        }

        foreach (var job in due)
        {
            var delivery = Task.Run(() => DeliverAsync(job), CancellationToken.None);
            _inFlight.TryAdd(delivery, 0);
            _ = delivery.ContinueWith(
                static (done, state) =>
                {
                    var worker = (OutboxWorker)state!;
                    worker._inFlight.TryRemove(done, out _);
                    worker.Wake();
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return due.Count == room;
    }

    /// <summary>Makes the due attempts of one claimed job and gives it back, due again when its next attempt is.</summary>
    private async Task DeliverAsync(JobRecord job)
    {
        DateTimeOffset? next;
        try
        {
            next = await _notifier.DeliverDueAsync(job, _stopAttempts.Token).ConfigureAwait(false);
            _deliveries.Worked();
        }
        catch (OperationCanceledException) when (_stopAttempts.IsCancellationRequested)
        {
            next = _time.GetUtcNow();
        }
        catch (Exception exception)
        {
            // Not the channels' failures (the notifier records those as failed attempts): the job stays claimed, and
            // its notifications are taken again once the claim's lease runs out.
            _deliveries.Failed(exception);
            return;
        }

        try
        {
            await _outbox.ReleaseNotificationsAsync(job.Id, _claimant, next, CancellationToken.None).ConfigureAwait(false);
            _releases.Worked();
            if (next is { } due)
            {
                NoteNextDue(due);
            }
        }
        catch (Exception exception)
        {
            // The claim's lease runs out and another claim makes the attempts that were due again (at least once).
            _releases.Failed(exception);
        }
    }
}
