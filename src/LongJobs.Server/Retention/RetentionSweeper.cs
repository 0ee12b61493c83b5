using LongJobs.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Retention;

/// <summary>
/// Removes finished jobs older than <see cref="LongJobsOptions.RetainFinishedJobsFor"/>, and the oldest beyond
/// <see cref="LongJobsOptions.MaxRetainedJobs"/>, every <see cref="LongJobsOptions.RetentionSweepInterval"/>.
/// </summary>
internal sealed class RetentionSweeper(IJobRetention store, TimeProvider time, IOptions<LongJobsOptions> options, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    private readonly LongJobsOptions _options = options.Value;

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
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Log.RetentionFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
