using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// Turns LongJobs' "try again later" exceptions (queue full, shutting down, job store unreachable) thrown by
/// the jobs API into problem details with <c>Retry-After</c>, whether or not the application uses
/// <c>UseExceptionHandler()</c>.
/// </summary>
internal sealed class RetryLaterFilter(LongJobsOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            var retryLater = LongJobsExceptionHandler.Describe(exception, context.HttpContext, options);
            if (retryLater is null)
            {
                throw;
            }

            return retryLater;
        }
    }
}
