using LongJobs.Server.Execution;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>
/// Answers LongJobs' "try again later" exceptions with problem details and <c>Retry-After</c> instead of a 500:
/// <see cref="JobRejectedException"/> (429 queue full, 503 shutting down) and
/// <see cref="JobStoreUnavailableException"/> (503). Covers the jobs API and the application's own endpoints
/// (an ad-hoc job started with <see cref="IJobScheduler"/>) where the application calls <c>UseExceptionHandler()</c>.
/// </summary>
internal sealed class LongJobsExceptionHandler(IProblemDetailsService problems, Microsoft.Extensions.Options.IOptions<LongJobsOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Describe(exception, httpContext, options.Value) is not { } result)
        {
            return false;
        }

        httpContext.Response.StatusCode = result.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = result.ProblemDetails,
            Exception = exception,
        }).ConfigureAwait(false);
    }

    /// <summary>The answer to <paramref name="exception"/>, or <see langword="null"/> when it is not one of LongJobs' retryable errors.</summary>
    internal static ProblemHttpResult? Describe(Exception exception, HttpContext httpContext, LongJobsOptions options) => exception switch
    {
        JobRejectedException rejected => JobProblems.Rejected(rejected, httpContext),
        JobStoreUnavailableException => JobProblems.StoreUnavailable(httpContext, options),
        _ => null,
    };
}
