using LongJobs.Server.Execution.Claiming;
using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Logging;
using LongJobs.Server.Execution.Running;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// The scheduler's part in the host's lifecycle, and the order of its shutdown. It claims from the store's queue from
/// the start (jobs left by a previous run), refuses new jobs from the moment the host begins to stop (the web server
/// still finishes its in-flight requests, and a job accepted then would only be cancelled), and at stop: cancels the
/// ad-hoc jobs still waiting here, lets the store's queue go (left for the next server on a shared store, cancelled on a
/// local one), completes the handles of jobs that never ran here, signals the running jobs and stops claiming, waits up
/// to <see cref="LongJobsOptions.ShutdownTimeout"/> for them and abandons the rest, and waits for every follower. From
/// the start of the stop, a write the store refuses is not tried again after a wait: an outcome still waiting for the
/// store gets one last try, and when that fails too is given up (its job stays running in the store under this server's
/// lease, which runs out, and another server runs it again). Last, the log lines still waiting are written.
/// </summary>
internal sealed class SchedulerLifecycle(
    SlotPool pool,
    QueueClaimer claimer,
    DueJobQueuer dueJobs,
    RecurringJobStarter recurring,
    StoreTopology topology,
    FollowedJobs followed,
    JobCompleter completer,
    ShutdownHandOver handOver,
    JobStateWriter writer,
    JobLogWriter logs,
    CancellationTokenSource shutdown,
    LongJobsOptions options,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>
    /// Starts claiming jobs of registered kinds from the store's queue, such as those left by a previous run, queueing
    /// scheduled jobs as they come due, and starting the recurring schedules' occurrences.
    /// </summary>
    /// <exception cref="InvalidOperationException">A schedule's request makes no job of its kind: the host does not start.</exception>
    public void Start()
    {
        recurring.Start();
        claimer.EnsureStarted();
        dueJobs.EnsureStarted();
    }

    /// <summary>Refuses new jobs (503) from now on.</summary>
    public void BeginStopping() => pool.MarkStopping();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var (waiting, running) = pool.Stop();
        Log.Stopping(logger, waiting.Count, running);

        // A write the store cannot take now would hold up the stop: from now on no write waits to be tried again.
        await writer.StopRetryingAsync().ConfigureAwait(false);
        foreach (var item in waiting)
        {
            await completer.CancelQueuedAsync(item, JobErrors.StoppedByShutdown).ConfigureAwait(false);
        }

        await topology.EndQueueAtShutdownAsync(logger).ConfigureAwait(false);
        await followed.StopAsync().ConfigureAwait(false);

        await shutdown.CancelAsync().ConfigureAwait(false);
        await claimer.StopAsync().ConfigureAwait(false);
        await dueJobs.StopAsync().ConfigureAwait(false);
        await recurring.StopAsync().ConfigureAwait(false);
        try
        {
            await pool.Drained.WaitAsync(options.ShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await handOver.AbandonRunningJobsAsync().ConfigureAwait(false);
        }

        // The handles of jobs that went on on another server while this one stopped, and their followers.
        await followed.StopAsync().ConfigureAwait(false);

        // The log lines of abandoned jobs, and of work that logged after its attempt ended.
        await logs.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Signals every job to stop; the host may call this while <see cref="StopAsync"/> is still running.</summary>
    public void Dispose()
    {
        // WebApplicationFactory with minimal hosting disposes the services while the host's StopAsync is still in
        // flight (dotnet/aspnetcore#40271). Disposing the source here made that StopAsync throw
        // ObjectDisposedException; cancel it instead. It has no timer or wait handle to release.
        shutdown.Cancel();
    }
}
