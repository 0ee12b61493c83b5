using System.ComponentModel;
using LongJobs.Server.Kinds;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>
/// The handlers of one registered kind's routes, <c>POST /{kind}</c>, <c>POST /{kind}/batch</c> and <c>GET /{kind}/{id}</c>: their parameters are
/// what the OpenAPI document describes, and their types give each kind its typed request and result schemas.
/// </summary>
/// <typeparam name="TRequest">The kind's request type.</typeparam>
/// <typeparam name="TResult">The kind's result type.</typeparam>
internal sealed class JobKindEndpoints<TRequest, TResult>(JobsApi api, JobKind kind)
    where TRequest : notnull
    where TResult : class
{
    /// <summary>Starts a job of this kind.</summary>
    /// <remarks>
    /// Validates the request and queues the job: 202 Accepted, with the job's status URL in 'Location'. With
    /// 'Prefer: wait=N' (at most 60) the server waits up to N seconds for the job to finish, and then answers 200 with its
    /// final typed state, so a quick job takes one request; a job still unfinished then is 202 as without it. With an
    /// 'Idempotency-Key' header, repeating the request (same key, same body) answers with the same job instead of starting
    /// another; the same key with another body is 422. 'LongJobs-Callback-Url' and 'LongJobs-Notify-Email' ask for a
    /// webhook and an email when the job finishes. 'LongJobs-Not-Before' or 'LongJobs-Delay' start the job for later: it is
    /// 'Scheduled' until then (its 'notBefore' says when), then queued; a time not in the future starts it now.
    /// 'LongJobs-Priority' gives the job its own priority instead of its kind's (higher is claimed first). For a kind
    /// whose jobs are unique by a key of their request, a start while a job with that key is scheduled, queued or running
    /// starts nothing: 200 with that job's state and 'LongJobs-Deduplicated: true' (409 when that job is another caller's).
    /// </remarks>
    /// <response code="200">With 'Prefer: wait=N', the job finished within the wait: its final state with the typed result, as GET /{kind}/{id} answers it, with the status URL in 'Location' and 'Content-Location', its 'ETag' and 'Preference-Applied'. Or, with 'LongJobs-Deduplicated: true', no job was started: the state of the unfinished job that holds the request's unique key.</response>
    /// <response code="202">The job was accepted (or, for a repeated Idempotency-Key, found): its state, with the status URL in 'Location', its 'ETag', and 'Retry-After' while it is unfinished.</response>
    /// <response code="400">The request body, the Idempotency-Key, a notification header, a start time header or the priority is not valid; 'errors' names each.</response>
    /// <response code="413">The request body is larger than the server accepts.</response>
    /// <response code="409">The kind's jobs are unique, and another caller's unfinished job holds the request's unique key.</response>
    /// <response code="415">The body is not sent as 'application/json'.</response>
    /// <response code="422">The Idempotency-Key was used before with another request body.</response>
    /// <response code="429">The queue is full (never for a job started for later): try again after 'Retry-After' seconds.</response>
    /// <response code="503">The server is shutting down, or the job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public Task<Results<Ok<JobState<TResult>>, Accepted<JobInfo>, ValidationProblem, ProblemHttpResult>> StartAsync(
        [FromHeader(Name = "Prefer"), Description(ParameterDescriptions.PreferOnStart)] string? prefer,
        [FromHeader(Name = JobsApi.IdempotencyKeyHeader), Description(ParameterDescriptions.IdempotencyKey)] string? idempotencyKey,
        [FromHeader(Name = JobsApi.CallbackUrlHeader), Description(ParameterDescriptions.CallbackUrl)] string? callbackUrl,
        [FromHeader(Name = JobsApi.NotifyEmailHeader), Description(ParameterDescriptions.NotifyEmail)] string? notifyEmail,
        [FromHeader(Name = StartTimeHeaders.NotBeforeHeader), Description(ParameterDescriptions.NotBefore)] string? notBefore,
        [FromHeader(Name = StartTimeHeaders.DelayHeader), Description(ParameterDescriptions.Delay)] string? delay,
        [FromHeader(Name = PriorityHeader.Name), Description(ParameterDescriptions.Priority)] string? priority,
        HttpContext context,
        CancellationToken cancellationToken) =>
        api.StartAsync<TRequest, TResult>(kind, prefer, context, cancellationToken);

    /// <summary>Starts many jobs of this kind.</summary>
    /// <remarks>
    /// The body is a JSON array of at most 1000 items, each with the kind's 'request' and, as a single start takes them in
    /// headers, an optional 'idempotencyKey', 'callbackUrl', 'notifyEmail' and 'priority'. Each item is checked as a single start
    /// would check it and answered on its own, in order: 202 with its job (the job its idempotency key started first,
    /// when it was used before, earlier in the batch included), 200 with 'deduplicated' and the unfinished job that holds
    /// its unique key (for a kind whose jobs are unique; earlier in the batch included), 400 with its errors, 409 when that
    /// job is another caller's, or 422 when its key was used before with another request. An invalid item does not stop the others. The valid items are admitted together: when the
    /// queue has no room for all of them, none is started (429).
    /// </remarks>
    /// <response code="200">The batch was read: one result per item, in order, each with its 'status' and its 'job' or its 'problem'.</response>
    /// <response code="400">The body is not a JSON array.</response>
    /// <response code="413">The body is larger than the server accepts, or has more than 1000 items.</response>
    /// <response code="415">The body is not sent as 'application/json'.</response>
    /// <response code="429">The queue has no room for all the valid items: none was started; try again after 'Retry-After' seconds.</response>
    /// <response code="503">The server is shutting down, or the job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public Task<Results<Ok<JobBatchResult>, ValidationProblem, ProblemHttpResult>> StartBatchAsync(HttpContext context, CancellationToken cancellationToken) =>
        api.StartBatchAsync<TRequest>(kind, context, cancellationToken);

    /// <summary>Gets a job of this kind with its typed result, or waits for its next change.</summary>
    /// <remarks>
    /// As GET /{id}, with the kind's result type; a job of another kind is 404 with 'reason' 'otherKind' and its 'kind'.
    /// With 'wait' (seconds, at most 60) or 'Prefer: wait=N' it long-polls: without If-None-Match until the job finishes;
    /// with the ETag of the state the caller has, until the job's next change (progress or end), or 304 Not Modified when
    /// none comes in time. 'Retry-After' suggests when to ask again while the job is unfinished.
    /// </remarks>
    /// <response code="200">The job's state with the kind's typed result, with its 'ETag'; 'Preference-Applied: wait=N' when the server waited.</response>
    /// <response code="304">The state named in If-None-Match is still current (no body), at once or when the wait ended without a change; with 'ETag', and 'Retry-After' while the job is unfinished.</response>
    /// <response code="400">The wait is negative, or the ID is not a GUID.</response>
    /// <response code="404">No such job of this kind for this caller; 'reason' says which it may be: 'serverRestarted' (kept in memory, lost when the server restarted), 'notFoundOrRemoved' (never started here, removed after retention, or deleted) or 'otherKind' (with 'kind': the job is of another kind).</response>
    public Task<Results<Ok<JobState<TResult>>, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> GetAsync(
        [Description(ParameterDescriptions.Id)] Guid id,
        [Description(ParameterDescriptions.Wait)] int? wait,
        [FromHeader(Name = "If-None-Match"), Description(ParameterDescriptions.IfNoneMatch)] string? ifNoneMatch,
        [FromHeader(Name = "Prefer"), Description(ParameterDescriptions.PreferOnRead)] string? prefer,
        HttpContext context,
        CancellationToken cancellationToken) =>
        api.GetTypedAsync<TResult>(kind, id, wait, ifNoneMatch, prefer, context, cancellationToken);
}
