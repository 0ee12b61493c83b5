using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>POST /{kind}: reads, checks and queues a job's request; with <c>Prefer: wait=N</c>, answers with its end when it comes in time.</summary>
internal sealed partial class JobsApi
{
    /// <summary>The header that makes a start request safe to repeat (IETF httpapi Idempotency-Key draft).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The longest idempotency key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>The header that asks for a webhook to this URL when the job finishes.</summary>
    public const string CallbackUrlHeader = "LongJobs-Callback-Url";

    /// <summary>The header that asks for an email to this address when the job finishes.</summary>
    public const string NotifyEmailHeader = "LongJobs-Notify-Email";

    /// <summary>The header of a start answered with an unfinished job that holds the request's unique key: no job was started.</summary>
    public const string DeduplicatedHeader = "LongJobs-Deduplicated";

    /// <summary>
    /// POST /{kind}: validates the request and queues a job of a registered kind: 202 with its state. With
    /// <c>Prefer: wait=N</c>, waits up to N seconds for the job to finish, and answers 200 with its final typed state
    /// when it does (the body of GET /{kind}/{id}).
    /// </summary>
    public async Task<Results<Ok<JobState<TResult>>, Accepted<JobInfo>, ValidationProblem, ProblemHttpResult>> StartAsync<TRequest, TResult>(JobKind kind, string? prefer, HttpContext context, CancellationToken cancellationToken)
        where TRequest : notnull
        where TResult : class
    {
        // Routing matches this endpoint only for JSON bodies (its Accepts metadata); others reach Unmatched: 415.
        var request = context.Request;
        if (!TryReadIdempotencyKey(request, out var idempotencyKey))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [IdempotencyKeyHeader] = [$"The key is 1 to {MaxIdempotencyKeyLength} visible ASCII characters, optionally in double quotes, sent once."] },
                title: "The Idempotency-Key header is not valid.");
        }

        if (ReadNotifications(request, out var notificationErrors) is var notifications && notificationErrors is not null)
        {
            return TypedResults.ValidationProblem(notificationErrors, title: "The job's notifications are not valid.");
        }

        if (!StartTimeHeaders.TryRead(request, time, out var notBefore, out var startTimeErrors))
        {
            return TypedResults.ValidationProblem(startTimeErrors, title: "The job's start time is not valid.");
        }

        if (!PriorityHeader.TryRead(request, out var priority, out var priorityErrors))
        {
            return TypedResults.ValidationProblem(priorityErrors, title: "The job's priority is not valid.");
        }

        var (body, unreadable) = await ReadBodyAsync(request, "A job's request", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return unreadable!;
        }

        TRequest? jobRequest;
        try
        {
            jobRequest = JsonSerializer.Deserialize<TRequest>(body, options.SerializerOptions);
        }
        catch (JsonException exception)
        {
            return TypedResults.ValidationProblem(
                JsonBodyErrors.Describe(body, typeof(TRequest), options.SerializerOptions, exception),
                title: "The request body is not valid JSON for this job kind.");
        }

        if (jobRequest is null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["$"] = ["A JSON object is required."] },
                title: "The request body is not valid JSON for this job kind.");
        }

        var errors = JobRequestValidator.Validate(jobRequest, options.SerializerOptions);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The job's request is not valid.");
        }

        if (!TryGetUniqueKey(kind, jobRequest, out var uniqueKey, out var keyErrors)
            || (priority is null && !TryGetPriority(kind, jobRequest, out priority, out keyErrors)))
        {
            return TypedResults.ValidationProblem(keyErrors, title: "The job's request is not valid.");
        }

        // Queue full and shutting down (JobRejectedException) become 429 and 503 in RetryLaterFilter.
        // The job is the caller's; so is its idempotency key: another owner's job with the same key is never found.
        var caller = access.CallerOf(context);
        JobRecord state;
        StartOutcome outcome;
        try
        {
            (state, outcome) = await starter.StartValidatedAsync(kind, new ValidatedStart(jobRequest, caller.Owner, idempotencyKey, notifications, uniqueKey, priority), notBefore, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException exception)
        {
            // A job the store did store is answered 202 (the starter reads it back); this store was out of reach, and the
            // job may have been stored all the same, unless the store was never reached.
            return JobProblems.StartUnavailable(context, options, idempotencyKey is not null, exception.MayHaveChanged);
        }

        if (outcome == StartOutcome.IdempotentRepeat && !IsSameRequest(state, kind, jobRequest))
        {
            return JobProblems.Problem(
                StatusCodes.Status422UnprocessableEntity,
                "Idempotency-Key reused.",
                $"The Idempotency-Key was first used to start job '{state.Id}' with another request; send a new key for a new request.");
        }

        if (outcome == StartOutcome.Deduplicated && !caller.CanAccess(state))
        {
            return DuplicateOfHiddenJob();
        }

        // A repeated request with the same key and body answers like the first one, for the same job.
        var seconds = JobWaits.PreferredSeconds(prefer);
        if (seconds is { } wait)
        {
            state = await waits.WaitAsync(state, wait, static job => job.Status.IsFinished(), context, cancellationToken).ConfigureAwait(false) ?? state;
        }

        var snapshot = state.ToSnapshot();
        SetStateHeaders(snapshot, context);
        var info = ToInfo(snapshot, context);
        if (outcome == StartOutcome.Deduplicated)
        {
            // No job was started: the answer is the state of the one that holds the key, as GET /{kind}/{id} reads it.
            context.Response.Headers[DeduplicatedHeader] = "true";
        }
        else if (seconds is null || !state.Status.IsFinished())
        {
            return TypedResults.Accepted(info.StatusUrl, info);
        }

        context.Response.Headers.Location = info.StatusUrl;
        context.Response.Headers.ContentLocation = info.StatusUrl;
        return TypedResults.Ok(TypedState<TResult>(snapshot, info));
    }

    /// <summary>
    /// The unique key of <paramref name="request"/>'s job (<see cref="JobKind.UniqueKeyOf"/>), or the errors that say why
    /// the request is refused: the kind's key function threw for it (logged with its exception), or computed a key that is
    /// empty or too long.
    /// </summary>
    private bool TryGetUniqueKey(JobKind kind, object request, out string? key, out Dictionary<string, string[]> errors)
    {
        try
        {
            key = kind.UniqueKeyOf(request);
            errors = [];
            return true;
        }
        catch (ArgumentException exception)
        {
            Log.RequestRefusedByKind(logger, exception.InnerException, kind.Name, exception.Message);
            key = null;
            errors = new(StringComparer.Ordinal) { ["$"] = [exception.Message] };
            return false;
        }
    }

    /// <summary>
    /// The priority of <paramref name="request"/>'s job (<see cref="JobKind.PriorityOf"/>), or the errors that say why the
    /// request is refused: the kind's priority function threw for it (logged with its exception), or gave a priority out of range.
    /// </summary>
    private bool TryGetPriority(JobKind kind, object request, out int? priority, out Dictionary<string, string[]> errors)
    {
        try
        {
            priority = kind.PriorityOf(request);
            errors = [];
            return true;
        }
        catch (ArgumentException exception)
        {
            Log.RequestRefusedByKind(logger, exception.InnerException, kind.Name, exception.Message);
            priority = null;
            errors = new(StringComparer.Ordinal) { ["$"] = [exception.Message] };
            return false;
        }
    }

    /// <summary>
    /// 409 for a start whose unique key an unfinished job holds that the caller may not see (another owner's): the caller
    /// learns that the key is taken, and nothing of that job.
    /// </summary>
    private static ProblemHttpResult DuplicateOfHiddenJob() => JobProblems.Problem(
        StatusCodes.Status409Conflict,
        "A job with the same unique key is in progress.",
        "Another caller's job of this kind with the same unique key is scheduled, queued or running; start this job again once it has finished.");

    /// <summary>
    /// POST /{kind} that no kind's route matched: the kind is unknown, or the request is not JSON (routing
    /// matches a kind's route only for the media types it accepts).
    /// </summary>
    public ProblemHttpResult Unmatched(string kind) => kinds.Contains(kind)
        ? JobProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type.", "Send the job's request as JSON with 'Content-Type: application/json'.")
        : JobProblems.Problem(StatusCodes.Status404NotFound, "Unknown job kind.", $"No job kind named '{kind}' is registered.");

    /// <summary>
    /// Reads the notification headers and lets each channel check what is asked of it.
    /// </summary>
    /// <returns>What the request asks for, or <see langword="null"/> when nothing; with <paramref name="errors"/> set when it cannot be served.</returns>
    private JobNotifications? ReadNotifications(HttpRequest request, out Dictionary<string, string[]>? errors)
    {
        errors = null;
        var callbackUrl = request.Headers[CallbackUrlHeader];
        var email = request.Headers[NotifyEmailHeader];
        if (callbackUrl.Count == 0 && email.Count == 0)
        {
            return null;
        }

        var notifications = new JobNotifications { CallbackUrl = callbackUrl.Count > 0 ? callbackUrl.ToString() : null, Email = email.Count > 0 ? email.ToString() : null };
        foreach (var (header, values, channelName) in new[] { (CallbackUrlHeader, callbackUrl, NotificationChannels.Webhook), (NotifyEmailHeader, email, NotificationChannels.Email) })
        {
            if (values.Count == 0)
            {
                continue;
            }

            var error = values.Count > 1 ? "Send the header once, with one value." : NotificationError(channelName, notifications);
            if (error is not null)
            {
                (errors ??= new(StringComparer.Ordinal))[header] = [error];
            }
        }

        return notifications;
    }

    /// <summary>What the channel named <paramref name="channelName"/> finds wrong with <paramref name="notifications"/>, if anything.</summary>
    private string? NotificationError(string channelName, JobNotifications notifications) =>
        channels.FirstOrDefault(channel => channel.Name == channelName) is not { } channel
            ? $"This server does not send {channelName} notifications."
            : channel.Validate(notifications);

    /// <summary>Reads <c>Idempotency-Key</c>: absent, or one value of visible ASCII characters, bare or as a quoted string.</summary>
    private static bool TryReadIdempotencyKey(HttpRequest request, out string? key)
    {
        key = null;
        var values = request.Headers[IdempotencyKeyHeader];
        if (values.Count == 0)
        {
            return true;
        }

        var value = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        if (!IsValidIdempotencyKey(value))
        {
            return false;
        }

        key = value;
        return true;
    }

    /// <summary>Whether <paramref name="key"/> is 1 to <see cref="MaxIdempotencyKeyLength"/> visible ASCII characters.</summary>
    private static bool IsValidIdempotencyKey(string key) =>
        key.Length is > 0 and <= MaxIdempotencyKeyLength && !key.Any(character => character is < '!' or > '~');

    /// <summary>Whether a job found by its idempotency key was started by the same kind with an equal request.</summary>
    private bool IsSameRequest(JobRecord existing, JobKind kind, object request) =>
        existing.Kind == kind.Name
        && existing.Request is { } stored
        && JsonElement.DeepEquals(stored, JsonSerializer.SerializeToElement(request, kind.RequestType, options.SerializerOptions));

    /// <summary>
    /// Reads the whole body, of at most <see cref="LongJobsOptions.MaxRequestBodySize"/> bytes; or the problem that says
    /// why not (413 names <paramref name="what"/>).
    /// </summary>
    private async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadBodyAsync(HttpRequest request, string what, CancellationToken cancellationToken)
    {
        byte[]? body;
        try
        {
            // Without Content-Length (chunked), the size is only known by reading, which stops past the limit.
            body = request.ContentLength is not { } length || length <= options.MaxRequestBodySize
                ? await ReadBodyAsync(request.BodyReader, options.MaxRequestBodySize, cancellationToken).ConfigureAwait(false)
                : null;
        }
        catch (BadHttpRequestException exception)
        {
            return (null, JobProblems.Problem(exception.StatusCode, "The request body could not be read.", exception.Message));
        }

        return body is null
            ? (null, JobProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large.", $"{what} may have at most {options.MaxRequestBodySize} bytes."))
            : (body, null);
    }

    /// <summary>Reads the whole body, or returns <see langword="null"/> once it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBodyAsync(PipeReader reader, long limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                var body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
