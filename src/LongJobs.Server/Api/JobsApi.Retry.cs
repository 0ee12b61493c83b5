using System.ComponentModel;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>POST /{id}/retry starts a failed or cancelled job again, as a new job linked to it.</summary>
internal sealed partial class JobsApi
{
    /// <summary>Retries a failed or cancelled job.</summary>
    /// <remarks>
    /// Starts a new job of the same kind, request, owner and priority, whose 'retryOf' is the retried job's ID; the
    /// retried job stays as it ended. Asking again answers with the same retry while it is kept (to retry again, retry the
    /// retry). The same callers as for cancel: the job's owner, and administrators.
    /// </remarks>
    /// <response code="202">The retry, queued, with its status URL in 'Location'.</response>
    /// <response code="400">The ID is not a GUID.</response>
    /// <response code="404">No such job for this caller; 'reason' is 'serverRestarted' or 'notFoundOrRemoved'.</response>
    /// <response code="409">The job cannot be retried: it has not failed or been cancelled ('jobStatus' says what it is), it is an ad-hoc job, or its kind is not registered here.</response>
    /// <response code="429">The queue is full: try again after 'Retry-After' seconds.</response>
    /// <response code="503">The server is stopping, or the job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Accepted<JobState>, ProblemHttpResult>> RetryAsync([Description(ParameterDescriptions.Id)] Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        // A job's owner never changes, and a finished job stays finished: checked once, both hold for the retry.
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        if (WhyNotRetryable(job.Status, job.Request is null, kinds.Contains(job.Kind)) is { } reason)
        {
            return JobProblems.Problem(
                StatusCodes.Status409Conflict,
                "The job cannot be retried.",
                $"Job '{id}' {reason}",
                new Dictionary<string, object?> { ["jobStatus"] = job.Status.ToString() });
        }

        var retry = await scheduler.RetryAsync(id, cancellationToken).ConfigureAwait(false);
        if (retry is null)
        {
            return notFound.Problem(id);
        }

        var state = retry.State;
        SetStateHeaders(state, context);
        var statusUrl = StatusUrl(state.Id, context);
        return TypedResults.Accepted(statusUrl, JobState.Of(state, statusUrl));
    }

    /// <summary>Why a job cannot be retried (the end of a sentence that starts with the job), or <see langword="null"/> when it can.</summary>
    internal static string? WhyNotRetryable(JobStatus status, bool adHoc, bool kindRegistered) =>
        status is not (JobStatus.Failed or JobStatus.Canceled) ? $"is {status}: only a job that failed or was cancelled can be retried."
        : adHoc ? "is an ad-hoc job: only the server that started it held its work, so it cannot run again."
        : !kindRegistered ? "is of a kind this server does not run: retry it on a server that registers the kind."
        : null;
}
