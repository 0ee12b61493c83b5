using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.RegularExpressions;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Api;

/// <summary>
/// The handlers behind <c>MapLongJobs</c>; every error is RFC 9457 problem details. A job with an owner is its owner's
/// (and administrators'): to anyone else it is unknown (404, as for an ID that does not exist), and absent from lists.
/// </summary>
internal sealed partial class JobsApi(
    string prefix,
    JobKindRegistry kinds,
    IJobStore store,
    JobScheduler scheduler,
    JobAccess access,
    LongJobsOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    INotificationChannel[] channels)
{
    private readonly OpenRequestsPerCaller _waiting = new(options.MaxLongPollsPerCaller);

    /// <summary>The longest a status request waits for a job to finish.</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>POST /{kind}: validates the request and queues a job of a registered kind.</summary>
    public async Task<Results<Accepted<JobInfo>, ValidationProblem, ProblemHttpResult>> StartAsync<TRequest>(JobKind kind, HttpContext context, CancellationToken cancellationToken)
        where TRequest : notnull
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
            return Problem(exception.StatusCode, "The request body could not be read.", exception.Message);
        }

        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large.", $"A job's request may have at most {options.MaxRequestBodySize} bytes.");
        }

        TRequest? jobRequest;
        try
        {
            jobRequest = JsonSerializer.Deserialize<TRequest>(body, options.SerializerOptions);
        }
        catch (JsonException exception)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [exception.Path ?? "$"] = [DescribeJsonError(exception)] },
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

        // Queue full and shutting down (JobRejectedException) become 429 and 503 in RetryLaterFilter.
        // The job is the caller's; so is its idempotency key: another owner's job with the same key is never found.
        var owner = access.CallerOf(context).Owner;
        var (state, isNew) = await scheduler.StartValidatedAsync(kind, jobRequest, owner, idempotencyKey, notifications, cancellationToken).ConfigureAwait(false);
        if (!isNew && !IsSameRequest(state, kind, jobRequest))
        {
            return Problem(
                StatusCodes.Status422UnprocessableEntity,
                "Idempotency-Key reused.",
                $"The Idempotency-Key was first used to start job '{state.Id}' with another request; send a new key for a new request.");
        }

        // A repeated request with the same key and body answers like the first one, for the same job.
        context.Response.Headers.RetryAfter = Seconds(options.SuggestedPollingInterval);
        var info = ToInfo(state, context);
        return TypedResults.Accepted(info.StatusUrl, info);
    }

    /// <summary>The header that makes a start request safe to repeat (IETF httpapi Idempotency-Key draft).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The longest idempotency key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>The header that asks for a webhook to this URL when the job finishes.</summary>
    public const string CallbackUrlHeader = "LongJobs-Callback-Url";

    /// <summary>The header that asks for an email to this address when the job finishes.</summary>
    public const string NotifyEmailHeader = "LongJobs-Notify-Email";

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

            var error = values.Count > 1 ? "Send the header once, with one value."
                : channels.FirstOrDefault(channel => channel.Name == channelName) is not { } channel ? $"This server does not send {channelName} notifications."
                : channel.Validate(notifications);
            if (error is not null)
            {
                (errors ??= new(StringComparer.Ordinal))[header] = [error];
            }
        }

        return notifications;
    }

    /// <summary>
    /// POST /{kind} that no kind's route matched: the kind is unknown, or the request is not JSON (routing
    /// matches a kind's route only for the media types it accepts).
    /// </summary>
    public ProblemHttpResult Unmatched(string kind) => kinds.Contains(kind)
        ? Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type.", "Send the job's request as JSON with 'Content-Type: application/json'.")
        : Problem(StatusCodes.Status404NotFound, "Unknown job kind.", $"No job kind named '{kind}' is registered.");

    /// <summary>GET /{id}: the job's state, after waiting for it to finish when asked to.</summary>
    public async Task<Results<Ok<JobState>, ValidationProblem, ProblemHttpResult>> GetAsync(Guid id, int? wait, HttpContext context, CancellationToken cancellationToken)
    {
        if (InvalidWait(ref wait, context) is { } invalid)
        {
            return invalid;
        }

        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return NotFound(id);
        }

        job = await WaitAsync(job, wait, context, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new JobState(ToInfo(job, context)) { Result = job.Result });
    }

    /// <summary>GET /{kind}/{id}: the job's state with its typed result.</summary>
    public async Task<Results<Ok<JobState<TResult>>, ValidationProblem, ProblemHttpResult>> GetTypedAsync<TResult>(JobKind kind, Guid id, int? wait, HttpContext context, CancellationToken cancellationToken)
        where TResult : class
    {
        if (InvalidWait(ref wait, context) is { } invalid)
        {
            return invalid;
        }

        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return NotFound(id);
        }

        if (job.Kind != kind.Name)
        {
            return Problem(StatusCodes.Status404NotFound, "Job not found.", $"Job '{id}' is of kind '{job.Kind}', not '{kind.Name}'.");
        }

        job = await WaitAsync(job, wait, context, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new JobState<TResult>(ToInfo(job, context))
        {
            Result = job.Result?.Deserialize<TResult>(options.SerializerOptions),
        });
    }

    /// <summary>DELETE /{id}: asks the job to stop and answers with its state.</summary>
    public async Task<Results<Ok<JobState>, ProblemHttpResult>> CancelAsync(Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        // A job's owner never changes: checked once, it holds for the cancel.
        var job = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return NotFound(id);
        }

        job = await scheduler.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        return job is null ? NotFound(id) : TypedResults.Ok(new JobState(ToInfo(job, context)) { Result = job.Result });
    }

    /// <summary>GET /: one page of the caller's jobs (an administrator's: every job), newest first.</summary>
    public async Task<Results<Ok<JobList>, ValidationProblem>> ListAsync(JobStatus? status, string? kind, int? pageSize, string? pageToken, HttpContext context, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (status is not null && !IsStatusName(context.Request.Query["status"]))
        {
            errors["status"] = [StatusNames];
        }

        if (pageSize is < 1 or > JobQuery.MaxPageSize)
        {
            errors["pageSize"] = [$"The page size must be from 1 to {JobQuery.MaxPageSize}."];
        }

        JobCursor? after = null;
        if (pageToken is not null && (after = DecodePageToken(pageToken)) is null)
        {
            errors["pageToken"] = ["The page token is not one this server issued."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var page = await store.ListAsync(new JobQuery { Status = status, Kind = kind, Owner = access.CallerOf(context).ListedOwner, PageSize = pageSize ?? 20, After = after }, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new JobList
        {
            Items = [.. page.Items.Select(job => ToInfo(job, context))],
            NextPageToken = page.Next is { } next ? EncodePageToken(next) : null,
        });
    }

    /// <summary>
    /// Long-poll: when <paramref name="wait"/> seconds are asked for and the job is unfinished, waits until it
    /// finishes or the wait is over, and says so with <c>Preference-Applied</c>. A wait cut short because the host
    /// is stopping answers without it, with <c>Retry-After</c>, so clients poll again later (elsewhere).
    /// </summary>
    private async Task<JobRecord> WaitAsync(JobRecord job, int? wait, HttpContext context, CancellationToken cancellationToken)
    {
        var seconds = Math.Min(wait ?? 0, MaxWaitSeconds);
        var caller = OpenRequestsPerCaller.KeyOf(access.CallerOf(context), context);

        // A caller with MaxLongPollsPerCaller waits open is answered at once: a wait is a preference (RFC 7240), and
        // Retry-After tells it when to ask again.
        if (seconds > 0 && !job.Status.IsFinished() && _waiting.TryEnter(caller))
        {
            using var slot = new WaitSlot(_waiting, caller);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds), time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, lifetime.ApplicationStopping, cancellationToken);
            try
            {
                while (!job.Status.IsFinished()
                    && await store.WaitForChangeAsync(job.Id, job.Version, linked.Token).ConfigureAwait(false) is { } next)
                {
                    job = next;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The wait is over, or the host is stopping: answer with the latest state.
            }

            if (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                context.Response.Headers["Preference-Applied"] = $"wait={seconds}";
            }
        }

        if (!job.Status.IsFinished())
        {
            context.Response.Headers.RetryAfter = Seconds(options.SuggestedPollingInterval);
        }

        return job;
    }

    /// <summary>Leaves a caller's count of open waits.</summary>
    private readonly struct WaitSlot(OpenRequestsPerCaller open, string caller) : IDisposable
    {
        public void Dispose() => open.Exit(caller);
    }

    /// <summary>Reads <c>Prefer: wait=N</c> when the query has no <c>wait</c>; a negative wait is a 400.</summary>
    private static ValidationProblem? InvalidWait(ref int? wait, HttpContext context)
    {
        wait ??= PreferredWait(context.Request);
        return wait >= 0 || wait is null
            ? null
            : TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["wait"] = [$"The wait is a number of seconds, 0 or more; at most {MaxWaitSeconds} are used."] },
                title: "The status request is not valid.");
    }

    private JobInfo ToInfo(JobRecord job, HttpContext context) => JobInfo.From(job, $"{context.Request.PathBase}{prefix}/{job.Id}");

    private static ProblemHttpResult NotFound(Guid id) =>
        Problem(StatusCodes.Status404NotFound, "Job not found.", $"No job with ID '{id}' exists. Finished jobs are removed after the retention period.");

    /// <summary>429 when the queue is full, 503 while shutting down; both with <c>Retry-After</c>.</summary>
    internal static ProblemHttpResult Rejected(JobRejectedException exception, HttpContext context)
    {
        context.Response.Headers.RetryAfter = Seconds(exception.RetryAfter);
        return exception.Reason == JobRejectionReason.QueueFull
            ? Problem(StatusCodes.Status429TooManyRequests, "Too many jobs.", exception.Message)
            : Problem(StatusCodes.Status503ServiceUnavailable, "Shutting down.", exception.Message);
    }

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

        if (value.Length is 0 or > MaxIdempotencyKeyLength || value.Any(character => character is < '!' or > '~'))
        {
            return false;
        }

        key = value;
        return true;
    }

    /// <summary>Whether a job found by its idempotency key was started by the same kind with an equal request.</summary>
    private bool IsSameRequest(JobRecord existing, JobKind kind, object request) =>
        existing.Kind == kind.Name
        && existing.Request is { } stored
        && JsonElement.DeepEquals(stored, JsonSerializer.SerializeToElement(request, kind.RequestType, options.SerializerOptions));

    /// <summary>503 with <c>Retry-After</c>: the job store cannot be reached for now.</summary>
    internal static ProblemHttpResult StoreUnavailable(HttpContext context, LongJobsOptions options)
    {
        context.Response.Headers.RetryAfter = Seconds(options.StoreUnavailableRetryAfter);
        return Problem(StatusCodes.Status503ServiceUnavailable, "Job store unavailable.", "The job store cannot be reached for now; nothing already stored is lost. Try again later.");
    }

    /// <summary>The message for a bad <c>status</c> filter.</summary>
    internal static string StatusNames { get; } = $"The status must be one of: {string.Join(", ", Enum.GetNames<JobStatus>())}.";

    /// <summary>Whether a <c>status</c> query value is a status name as binding reads it: exact case, not a number or a list.</summary>
    internal static bool IsStatusName(string? value) =>
        Enum.GetNames<JobStatus>().Contains(value, StringComparer.Ordinal);

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    private static string Seconds(TimeSpan delay) =>
        Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static int? PreferredWait(HttpRequest request)
    {
        foreach (var preference in request.Headers["Prefer"])
        {
            var match = PreferWait().Match(preference ?? string.Empty);
            if (match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }
        }

        return null;
    }

    /// <summary>Says what is wrong with the JSON without naming .NET types.</summary>
    private static string DescribeJsonError(JsonException exception)
    {
        const string Missing = "missing required properties including: ";
        var message = exception.Message;
        var missingAt = message.IndexOf(Missing, StringComparison.Ordinal);
        if (missingAt >= 0)
        {
            return "Required properties are missing: " + message[(missingAt + Missing.Length)..].TrimEnd('.') + ".";
        }

        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return "The value has the wrong type or is out of range.";
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return "The JSON is nested too deeply.";
        }

        return exception.LineNumber is { } line && exception.BytePositionInLine is { } position
            ? $"The body is not well-formed JSON (line {line + 1}, byte {position + 1})."
            : "The body is not well-formed JSON.";
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

    private static string EncodePageToken(JobCursor cursor)
    {
        Span<byte> bytes = stackalloc byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, cursor.CreatedAt.UtcTicks);
        cursor.Id.TryWriteBytes(bytes[8..]);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static JobCursor? DecodePageToken(string token)
    {
        Span<byte> bytes = stackalloc byte[24];
        var base64 = token.Replace('-', '+').Replace('_', '/');
        if (token.Length != 32 || !Convert.TryFromBase64String(base64, bytes, out var written) || written != 24)
        {
            return null;
        }

        var ticks = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return ticks is < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks
            ? null
            : new JobCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..]));
    }

    [GeneratedRegex(@"(?:^|[\s,;])wait\s*=\s*(\d{1,9})\b", RegexOptions.CultureInvariant)]
    private static partial Regex PreferWait();
}
