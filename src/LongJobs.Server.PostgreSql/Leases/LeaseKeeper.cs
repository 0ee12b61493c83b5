using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.PostgreSql.Leases;

/// <summary>
/// Every <see cref="PostgreSqlJobStoreOptions.HeartbeatInterval"/>: renews the leases of the jobs this node runs
/// and of the ad-hoc jobs waiting in its queue (cancelling those someone asked to cancel, which the database also
/// announces at once), then recovers the jobs of nodes that stopped renewing theirs: jobs of registered kinds go
/// back to the queue while they have attempts left, the others fail, so no job stays unfinished after its server
/// died. Both of its loops are supervised: whatever fails, they log it once and keep going (a failed heartbeat runs
/// again after a backoff of at most one interval), and they never stop the host.
/// </summary>
internal sealed partial class LeaseKeeper(
    PostgreSqlJobStore store,
    IJobScheduler scheduler,
    IOptions<PostgreSqlJobStoreOptions> options,
    TimeProvider time,
    ILogger<LeaseKeeper> logger) : BackgroundService
{
    /// <summary>What a job of a lost node reports.</summary>
    internal static readonly JobError NodeLost = new(
        "urn:longjobs:problem:node-lost",
        "The job's server stopped.",
        "The server running the job stopped renewing its lease (it crashed, or lost the database) before the job finished.");

    private readonly PostgreSqlJobStoreOptions _options = options.Value;

    private readonly SupervisedLoop _heartbeat = new(
        "Renewing job leases",
        logger,
        time,
        options.Value.HeartbeatInterval < FirstRetryDelay ? options.Value.HeartbeatInterval : FirstRetryDelay,
        options.Value.HeartbeatInterval);

    private readonly SupervisedLoop _cancellations = new("Applying cancel requests from other servers", logger, time, FirstRetryDelay, FirstRetryDelay);

    /// <summary>How soon a failed heartbeat runs again the first time; the delay doubles up to the heartbeat interval.</summary>
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The heartbeat's supervision, which tests read.</summary>
    internal SupervisedLoop Heartbeat => _heartbeat;

    /// <summary>How long a stopping node tries to remove its heartbeat.</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(2);

    /// <summary>When this node started, as its heartbeat row says.</summary>
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>One heartbeat: renew, apply remote cancellations, recover jobs of lost nodes, then say this node is alive (last: the leases come first).</summary>
    internal async Task BeatAsync(CancellationToken cancellationToken)
    {
        var held = scheduler.GetActiveJobs();
        if (held.Count > 0)
        {
            // Read before renewing: ad-hoc jobs waiting here whose insert had completed, so the renewal must find them.
            var waiting = held.Where(job => job.Status == JobStatus.Queued && job.State.Version > 0).Select(job => job.Id).ToList();
            var now = time.GetUtcNow();
            var renewed = await store.Leases.RenewAsync(_options.NodeName, [.. held.Select(job => job.Id)], now, now + _options.LeaseDuration, cancellationToken).ConfigureAwait(false);
            foreach (var (id, _) in renewed.Where(job => job.CancellationRequested))
            {
                await scheduler.CancelAsync(id, cancellationToken).ConfigureAwait(false);
            }

            // An ad-hoc job waiting here that the store no longer holds for this node was cancelled (or ended) through
            // another node: it leaves this node's queue now rather than when it would have started.
            var stillHeld = renewed.Select(job => job.Id).ToHashSet();
            foreach (var id in waiting.Where(id => !stillHeld.Contains(id)))
            {
                await scheduler.CancelAsync(id, cancellationToken).ConfigureAwait(false);
            }
        }

        var recovered = await store.Leases.RecoverJobsOfLostNodesAsync(time.GetUtcNow(), _options.LeaseDuration, NodeLost, cancellationToken).ConfigureAwait(false);
        foreach (var job in recovered)
        {
            if (job.Status == JobStatus.Queued)
            {
                JobOfLostNodeRequeued(logger, job.Id, job.Kind, job.Attempt, job.MaxAttempts);
            }
            else
            {
                JobOfLostNodeEnded(logger, job.Id, job.Kind, job.Status);
            }
        }

        await store.NodeHeartbeats.BeatAsync(_options.NodeName, _startedAt, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(BeatEveryIntervalAsync(stoppingToken), ApplyCancellationRequestsAsync(stoppingToken));

    /// <summary>Stops the loops, then says this node is no longer alive (best effort: else its row ages out within a lease).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // A database out of reach must not hold the shutdown: one lease at most, as long as the row would age anyway.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(LeaveTimeout);
        try
        {
            await store.NodeHeartbeats.LeaveAsync(_options.NodeName, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            NodeLeaveFailed(logger, exception, _options.NodeName);
        }
    }

    private async Task BeatEveryIntervalAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await _heartbeat.RunAsync(token => new ValueTask(BeatAsync(token)), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    /// <summary>
    /// Signals at once the jobs running here that someone asked, through any node, to cancel, as the database
    /// announces the requests; the heartbeat catches those whose announcement was lost, or whose cancel failed here.
    /// </summary>
    private async Task ApplyCancellationRequestsAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in store.CancellationRequests.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (scheduler.TryGetActiveJob(id, out _))
                {
                    await _cancellations.TryOnceAsync(token => new ValueTask(scheduler.CancelAsync(id, token)), stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(73, LogLevel.Debug, "Node {Node} could not remove its heartbeat as it stopped; it ages out within a lease.")]
    private static partial void NodeLeaveFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(1, LogLevel.Warning, "Job {JobId} of kind {Kind} ended as {Status}: the server running it stopped renewing its lease.")]
    private static partial void JobOfLostNodeEnded(ILogger logger, Guid jobId, string kind, JobStatus status);

    [LoggerMessage(3, LogLevel.Warning, "Job {JobId} of kind {Kind} went back to the queue: the server running attempt {Attempt} of {MaxAttempts} stopped renewing its lease.")]
    private static partial void JobOfLostNodeRequeued(ILogger logger, Guid jobId, string kind, int attempt, int maxAttempts);
}
