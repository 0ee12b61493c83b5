using LongJobs.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Retention;

/// <summary>
/// Removes finished jobs older than <see cref="LongJobsOptions.RetainFinishedJobsFor"/>, and the oldest beyond
/// <see cref="LongJobsOptions.MaxRetainedJobs"/>, every <see cref="LongJobsOptions.RetentionSweepInterval"/>. A sweep that
/// fails, whatever the failure, is logged once per episode, and the next tick sweeps again.
/// </summary>
internal sealed class RetentionSweeper(IJobRetention store, TimeProvider time, IOptions<LongJobsOptions> options, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    private readonly LongJobsOptions _options = options.Value;
    private readonly FailureEpisode _failures = new("Removing expired jobs", logger, time);

    /// <summary>Removes what has expired now.</summary>
    /// <returns>How many jobs were removed.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = await store.DeleteFinishedAsync(time.GetUtcNow() - _options.RetainFinishedJobsFor, _options.MaxRetainedJobs, cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            Log.RetentionRemoved(logger, removed);
        }

        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RetentionSweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(stoppingToken).ConfigureAwait(false);
                    _failures.Worked();
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The next tick sweeps again.
                    _failures.Failed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
