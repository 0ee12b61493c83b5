using System.ComponentModel;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>
/// POST /{id}/cancel asks a job to stop (an action: the job stays readable); DELETE /{id} removes a finished job's
/// record (the resource), as RFC 9110 and Google AIP-151 have it.
/// </summary>
internal sealed partial class JobsApi
{
    /// <summary>Asks a job to stop.</summary>
    /// <remarks>
    /// A queued job is cancelled at once; a running job is signalled and ends Canceled when it honours the signal (its
    /// state says 'cancellationRequested' until then). Cancelling a finished job changes nothing. The job stays
    /// readable: DELETE /{id} removes a finished job's record.
    /// </remarks>
    /// <response code="200">The job's state after the request, with its 'ETag'.</response>
    /// <response code="400">The ID is not a GUID.</response>
    /// <response code="404">No such job for this caller; 'reason' is 'serverRestarted' or 'notFoundOrRemoved'.</response>
    public async Task<Results<Ok<JobState>, ProblemHttpResult>> CancelAsync([Description(ParameterDescriptions.Id)] Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        // A job's owner never changes: checked once, it holds for the cancel.
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        var state = await scheduler.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return notFound.Problem(id);
        }

        SetStateHeaders(state, context);
        return TypedResults.Ok(JobState.Of(state, StatusUrl(state.Id, context)));
    }

    /// <summary>Removes a finished job's record.</summary>
    /// <remarks>
    /// Removes a job that has finished (Succeeded, Failed or Canceled) before retention would: it can no longer be read,
    /// and its Idempotency-Key is free again; a webhook or email still to deliver is dropped with it. A queued or
    /// running job is a conflict: cancel it first with POST /{id}/cancel, and delete it once it has ended.
    /// </remarks>
    /// <response code="204">The job's record was removed.</response>
    /// <response code="400">The ID is not a GUID.</response>
    /// <response code="404">No such job for this caller; 'reason' is 'serverRestarted' or 'notFoundOrRemoved'.</response>
    /// <response code="409">The job is queued or running; 'jobStatus' says which.</response>
    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync([Description(ParameterDescriptions.Id)] Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        if (!job.Status.IsFinished())
        {
            var statusUrl = StatusUrl(job.Id, context);
            return JobProblems.Problem(
                StatusCodes.Status409Conflict,
                "The job has not finished.",
                $"Job '{id}' is {job.Status}: only a finished job's record can be deleted. Cancel it first with POST {statusUrl}/cancel, and delete it once it has ended.",
                new Dictionary<string, object?> { ["jobStatus"] = job.Status.ToString() });
        }

        // Removed meanwhile (retention, another DELETE): it is gone either way, but this request did not remove it.
        return await store.TryDeleteFinishedAsync(id, cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : notFound.Problem(id);
    }
}
