using System.ComponentModel;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>GET /{id}/history: a job's attempts and log, under the same ownership rules as its state.</summary>
internal sealed partial class JobsApi
{
    /// <summary>Gets a job's attempts and log.</summary>
    /// <remarks>
    /// Every attempt of the job (start, end, server, outcome and error; the running one has no end) and the last lines
    /// the job wrote to its log (JobContext.Log), oldest first. A job's lines reach the store in batches: those of a
    /// running job may lag by a second; once the job has finished they are all there, but for lines the store could not
    /// take (a line in the log says how many).
    /// </remarks>
    /// <response code="200">The job's history.</response>
    /// <response code="400">The ID is not a GUID.</response>
    /// <response code="404">No such job for this caller; 'reason' is 'serverRestarted' or 'notFoundOrRemoved'.</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Ok<JobHistoryInfo>, ProblemHttpResult>> GetHistoryAsync([Description(ParameterDescriptions.Id)] Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        // A job's owner never changes: checked once, it holds for its history.
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        var recorded = await history.GetHistoryAsync(id, cancellationToken).ConfigureAwait(false);
        return recorded is null ? notFound.Problem(id) : TypedResults.Ok(JobHistoryInfo.From(id, recorded));
    }
}
