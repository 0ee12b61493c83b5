using LongJobs.Server.Execution;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// Answers a <see cref="JobRejectedException"/> that escapes an application's own endpoint (an ad-hoc job
/// started with <see cref="IJobScheduler"/>) with 429 or 503 problem details and <c>Retry-After</c>, instead
/// of a 500. Takes effect where the application calls <c>UseExceptionHandler()</c>.
/// </summary>
internal sealed class JobRejectedExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not JobRejectedException rejected)
        {
            return false;
        }

        var result = JobsApi.Rejected(rejected, httpContext);
        httpContext.Response.StatusCode = result.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = result.ProblemDetails,
            Exception = exception,
        }).ConfigureAwait(false);
    }
}
