using LongJobs.Server.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LongJobs.Server.Observability;

/// <summary>
/// The health of LongJobs on this server: healthy while its job store answers (for PostgreSQL: the database serves
/// it), unhealthy when it does not, with a one-line description of what is wrong. The result carries no exception:
/// ASP.NET Core logs every unhealthy result (at the error level), and a stack trace per probe would flood the log
/// during an outage; the store logs the outage itself, once. Registered as <c>longjobs</c> by <c>AddLongJobs</c>; map
/// it with <c>app.MapHealthChecks("/health")</c>.
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
        catch (JobStoreUnavailableException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, OneLine(exception.Message));
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, OneLine($"The job store failed ({exception.GetType().Name}: {exception.Message})."));
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
