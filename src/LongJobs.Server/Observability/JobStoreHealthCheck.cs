using LongJobs.Server.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LongJobs.Server.Observability;

/// <summary>
/// The health of LongJobs on this server: healthy while its job store answers (for PostgreSQL: the database is
/// reachable), unhealthy when it does not. Registered as <c>longjobs</c> by <c>AddLongJobs</c>; map it with
/// <c>app.MapHealthChecks("/health")</c>.
/// </summary>
internal sealed class JobStoreHealthCheck(IQueuedJobs store) : IHealthCheck
{
    /// <summary>The name the check is registered under.</summary>
    public const string Name = "longjobs";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The cheapest question every store answers; for PostgreSQL, one indexed query.
            await store.CountQueuedAsync(countAtMost: 1, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The job store answers.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The job store cannot be reached.", exception);
        }
    }
}
