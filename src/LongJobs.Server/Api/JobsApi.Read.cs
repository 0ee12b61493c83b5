using System.ComponentModel;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>
/// GET /{id} and GET /{kind}/{id}: a job's state, conditional on <c>If-None-Match</c>, after a wait when asked
/// (<c>?wait=N</c> or <c>Prefer: wait=N</c>). Without <c>If-None-Match</c> a wait ends when the job finishes; with an
/// ETag of the job's current state it ends at the job's next change (progress or end), and <c>304 Not Modified</c> says
/// that none came in time.
/// </summary>
internal sealed partial class JobsApi
{
    /// <summary>Gets a job's state, or waits for its next change.</summary>
    /// <remarks>
    /// Answers with the job's state and its ETag; 'result' is the raw JSON of the job's result once it has succeeded
    /// (GET /{kind}/{id} types it). With 'wait' (seconds, at most 60) or 'Prefer: wait=N' it long-polls: without
    /// If-None-Match until the job finishes; with the ETag of the state the caller has, until the job's next change
    /// (progress or end), or 304 Not Modified when none comes in time. 'Retry-After' suggests when to ask again while the
    /// job is unfinished.
    /// </remarks>
    /// <response code="200">The job's state, with its 'ETag'; 'Preference-Applied: wait=N' when the server waited.</response>
    /// <response code="304">The state named in If-None-Match is still current (no body), at once or when the wait ended without a change; with 'ETag', and 'Retry-After' while the job is unfinished.</response>
    /// <response code="400">The wait is negative, or the ID is not a GUID.</response>
    /// <response code="404">No such job for this caller; 'reason' says which it may be: 'serverRestarted' (kept in memory, lost when the server restarted) or 'notFoundOrRemoved' (never started here, removed after retention, or deleted).</response>
    public async Task<Results<Ok<JobState>, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> GetAsync(
        [Description(ParameterDescriptions.Id)] Guid id,
        [Description(ParameterDescriptions.Wait)] int? wait,
        [FromHeader(Name = "If-None-Match"), Description(ParameterDescriptions.IfNoneMatch)] string? ifNoneMatch,
        [FromHeader(Name = "Prefer"), Description(ParameterDescriptions.PreferOnRead)] string? prefer,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        if (InvalidWait(ref wait, prefer) is { } invalid)
        {
            return invalid;
        }

        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        return await ReadAsync(job, wait, ifNoneMatch, context, cancellationToken).ConfigureAwait(false) switch
        {
            null => notFound.Problem(id),
            { NotModified: true } => TypedResults.StatusCode(StatusCodes.Status304NotModified),
            { Job: var state } => TypedResults.Ok(JobState.Of(state, StatusUrl(state.Id, context))),
        };
    }

    /// <summary>GET /{kind}/{id}: the job's state with its typed result; a job of another kind is not found here (see <see cref="JobKindEndpoints{TRequest, TResult}.GetAsync"/>).</summary>
    public async Task<Results<Ok<JobState<TResult>>, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> GetTypedAsync<TResult>(JobKind kind, Guid id, int? wait, string? ifNoneMatch, string? prefer, HttpContext context, CancellationToken cancellationToken)
        where TResult : class
    {
        if (InvalidWait(ref wait, prefer) is { } invalid)
        {
            return invalid;
        }

        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        if (job.Kind != kind.Name)
        {
            return JobNotFound.OfOtherKind(id, job.Kind, kind.Name);
        }

        return await ReadAsync(job, wait, ifNoneMatch, context, cancellationToken).ConfigureAwait(false) switch
        {
            null => notFound.Problem(id),
            { NotModified: true } => TypedResults.StatusCode(StatusCodes.Status304NotModified),
            { Job: var state } => TypedResults.Ok(TypedState<TResult>(state, ToInfo(state, context))),
        };
    }

    /// <summary>The state as GET /{kind}/{id} answers it: the result deserialised as the kind's result type.</summary>
    private JobState<TResult> TypedState<TResult>(JobSnapshot job, JobInfo info)
        where TResult : class =>
        new(info) { Result = job.Result?.Deserialize<TResult>(options.SerializerOptions) };

    /// <summary>
    /// Answers a read of <paramref name="job"/>: its state now, or after the wait asked for; not modified when the state
    /// the caller has (<paramref name="ifNoneMatch"/>) is still current at the end. Sets the state's headers.
    /// </summary>
    /// <returns>What to answer; <see langword="null"/> when the job was removed during the wait.</returns>
    private async Task<Read?> ReadAsync(JobRecord job, int? wait, string? ifNoneMatch, HttpContext context, CancellationToken cancellationToken)
    {
        var seconds = wait ?? 0;
        JobRecord? latest;
        switch (JobETags.Matches(ifNoneMatch, job.Version))
        {
            case true:
                // The caller has this state: wait for the next one. A finished job never changes again.
                var known = job.Version;
                latest = job.Status.IsFinished()
                    ? job
                    : await waits.WaitAsync(job, seconds, next => next.Version != known, context, cancellationToken).ConfigureAwait(false);
                if (latest?.Version == known)
                {
                    return Answer(latest, context, notModified: true);
                }

                break;
            case false:
                // The caller's state is outdated already: the next one is this one.
                latest = job;
                break;
            default:
                // No If-None-Match (or none to understand): wait for the end, if asked to.
                latest = await waits.WaitAsync(job, seconds, static next => next.Status.IsFinished(), context, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (latest is null)
        {
            return null;
        }

        return Answer(latest, context, notModified: false);
    }

    private Read Answer(JobRecord latest, HttpContext context, bool notModified)
    {
        var state = latest.ToSnapshot();
        SetStateHeaders(state, context);
        return new Read(state, notModified);
    }

    /// <summary>Reads <c>Prefer: wait=N</c> when the query has no <c>wait</c>; a negative wait is a 400.</summary>
    private static ValidationProblem? InvalidWait(ref int? wait, string? prefer)
    {
        wait ??= JobWaits.PreferredSeconds(prefer);
        return wait >= 0 || wait is null
            ? null
            : TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["wait"] = [$"The wait is a number of seconds, 0 or more; at most {JobWaits.MaxSeconds} are used."] },
                title: "The status request is not valid.");
    }

    /// <summary>What a read answers: the job's state, or that the caller's is still current.</summary>
    private readonly record struct Read(JobSnapshot Job, bool NotModified);
}
