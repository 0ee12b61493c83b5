using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LongJobs.Server.Api;

/// <summary>
/// POST /{kind}/batch: starts many jobs of one kind in one request. Each item is checked as a single start's request and
/// headers would be, and answered on its own (its job, or its problem); the valid ones are admitted and stored together.
/// </summary>
internal sealed partial class JobsApi
{
    /// <summary>The most items one batch may have.</summary>
    public const int MaxBatchItems = 1000;

    private const string BadRequestType = "https://tools.ietf.org/html/rfc9110#section-15.5.1";
    private const string UnprocessableType = "https://tools.ietf.org/html/rfc9110#section-15.5.21";

    /// <summary>
    /// The options that split a batch into its items: a property named twice in an item is that item's error, found when
    /// the item is read with the API's own options, not the whole batch's.
    /// </summary>
    private JsonSerializerOptions BatchArrayOptions => field ??= new JsonSerializerOptions(options.SerializerOptions) { AllowDuplicateProperties = true };

    /// <summary>
    /// POST /{kind}/batch: 200 with one result per item, in order: 202 and the item's job, or the item's problem (400 for an
    /// invalid item, 422 for an idempotency key used before with another request). The body as a whole is refused when it
    /// is not a JSON array (400), too large or has more than <see cref="MaxBatchItems"/> items (413); the valid items
    /// together, when the queue has no room for all of them (429) or the server stops (503).
    /// </summary>
    public async Task<Results<Ok<JobBatchResult>, ValidationProblem, ProblemHttpResult>> StartBatchAsync<TRequest>(JobKind kind, HttpContext context, CancellationToken cancellationToken)
        where TRequest : notnull
    {
        // A batch starts its jobs now: a start time would be silently ignored, so it is refused.
        if (new[] { StartTimeHeaders.NotBeforeHeader, StartTimeHeaders.DelayHeader }.FirstOrDefault(context.Request.Headers.ContainsKey) is { } startTime)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [startTime] = ["A batch starts its jobs now; start jobs for later one at a time."] },
                title: "A batch takes no start time.");
        }

        // Routing matches this endpoint only for JSON bodies (its Accepts metadata); others reach Unmatched: 415.
        var (body, unreadable) = await ReadBodyAsync(context.Request, "A batch", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return unreadable!;
        }

        if (!Utf8.IsValid(body))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["$"] = ["The body is not valid UTF-8."] },
                title: "The request body is not a valid JSON array of batch items.");
        }

        JsonElement[]? elements;
        try
        {
            elements = JsonSerializer.Deserialize<JsonElement[]>(body, BatchArrayOptions);
        }
        catch (JsonException exception)
        {
            return TypedResults.ValidationProblem(
                JsonBodyErrors.Describe(body, typeof(JobBatchItem<TRequest>[]), options.SerializerOptions, exception),
                title: "The request body is not a valid JSON array of batch items.");
        }

        if (elements is null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["$"] = ["A JSON array is required."] },
                title: "The request body is not a valid JSON array of batch items.");
        }

        if (elements.Length > MaxBatchItems)
        {
            return JobProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Too many items.", $"A batch may have at most {MaxBatchItems} items; this one has {elements.Length}. Send them in smaller batches.");
        }

        // The jobs are the caller's; so are their idempotency keys, as for a single start.
        var owner = access.CallerOf(context).Owner;
        var results = new JobBatchItemResult[elements.Length];
        var starts = new List<ValidatedStart>(elements.Length);
        var startedItems = new List<int>(elements.Length);
        for (var i = 0; i < elements.Length; i++)
        {
            if (ReadBatchItem<TRequest>(kind, elements[i], owner, out var start) is { } errors)
            {
                results[i] = ItemProblem(StatusCodes.Status400BadRequest, BadRequestType, "The item is not valid.", detail: null, errors);
                continue;
            }

            starts.Add(start);
            startedItems.Add(i);
        }

        IReadOnlyList<(JobRecord State, StartOutcome Outcome)> started;
        try
        {
            // Queue full and shutting down (JobRejectedException) refuse the whole batch: 429 and 503 in RetryLaterFilter.
            started = starts.Count == 0 ? [] : await starter.StartValidatedManyAsync(kind, starts, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException exception)
        {
            return JobProblems.StartUnavailable(context, options, starts.TrueForAll(start => start.IdempotencyKey is not null), exception.MayHaveChanged);
        }

        var caller = access.CallerOf(context);
        for (var j = 0; j < started.Count; j++)
        {
            var (state, outcome) = started[j];
            results[startedItems[j]] = outcome switch
            {
                StartOutcome.IdempotentRepeat when !IsSameRequest(state, kind, starts[j].Request) => ItemProblem(
                    StatusCodes.Status422UnprocessableEntity,
                    UnprocessableType,
                    "Idempotency-Key reused.",
                    $"The idempotency key was first used to start job '{state.Id}' with another request; send a new key for a new request.",
                    errors: null),
                StartOutcome.Deduplicated when !caller.CanAccess(state) => ItemProblem(DuplicateOfHiddenJob()),
                StartOutcome.Deduplicated => new JobBatchItemResult { Status = StatusCodes.Status200OK, Job = ToInfo(state.ToSnapshot(), context), Deduplicated = true },
                _ => new JobBatchItemResult { Status = StatusCodes.Status202Accepted, Job = ToInfo(state.ToSnapshot(), context) },
            };
        }

        return TypedResults.Ok(new JobBatchResult { Items = results });
    }

    /// <summary>
    /// Reads one item of a batch and checks it as a single start's request and headers are checked.
    /// </summary>
    /// <returns>The item's errors by field, or <see langword="null"/> when <paramref name="start"/> is valid.</returns>
    private Dictionary<string, string[]>? ReadBatchItem<TRequest>(JobKind kind, JsonElement element, string? owner, out ValidatedStart start)
        where TRequest : notnull
    {
        start = default;
        JobBatchItem<TRequest>? item;
        try
        {
            item = element.Deserialize<JobBatchItem<TRequest>>(options.SerializerOptions);
        }
        catch (JsonException exception)
        {
            // The item's own text, escapes as sent: writing the element again would fail on what made it invalid.
            return JsonBodyErrors.Describe(Encoding.UTF8.GetBytes(element.GetRawText()), typeof(JobBatchItem<TRequest>), options.SerializerOptions, exception);
        }

        if (item is null)
        {
            return new(StringComparer.Ordinal) { ["$"] = ["A JSON object is required."] };
        }

        if (item.Request is null)
        {
            return new(StringComparer.Ordinal) { ["request"] = ["A JSON object is required."] };
        }

        var errors = JobRequestValidator.Validate(item.Request, options.SerializerOptions)
            .ToDictionary(error => error.Key.Length == 0 ? "request" : "request." + error.Key, error => error.Value, StringComparer.Ordinal);
        if (item.IdempotencyKey is { } key && !IsValidIdempotencyKey(key))
        {
            errors["idempotencyKey"] = [$"The key is 1 to {MaxIdempotencyKeyLength} visible ASCII characters."];
        }

        JobNotifications? notifications = null;
        if (item.CallbackUrl is not null || item.NotifyEmail is not null)
        {
            notifications = new JobNotifications { CallbackUrl = item.CallbackUrl, Email = item.NotifyEmail };
            foreach (var (field, value, channelName) in new[] { ("callbackUrl", item.CallbackUrl, NotificationChannels.Webhook), ("notifyEmail", item.NotifyEmail, NotificationChannels.Email) })
            {
                if (value is not null && NotificationError(channelName, notifications) is { } error)
                {
                    errors[field] = [error];
                }
            }
        }

        if (item.Priority is { } priority && !PriorityHeader.IsValid(priority))
        {
            errors["priority"] = [PriorityHeader.Expected];
        }

        string? uniqueKey = null;
        var jobPriority = item.Priority;
        if (errors.Count == 0
            && (!TryGetUniqueKey(kind, item.Request, out uniqueKey, out var keyErrors) || (jobPriority is null && !TryGetPriority(kind, item.Request, out jobPriority, out keyErrors))))
        {
            errors = keyErrors.ToDictionary(error => "request", error => error.Value, StringComparer.Ordinal);
        }

        start = new ValidatedStart(item.Request, owner, item.IdempotencyKey, notifications, uniqueKey, jobPriority);
        return errors.Count > 0 ? errors : null;
    }

    /// <summary>An item's problem as a single start would answer it.</summary>
    private static JobBatchItemResult ItemProblem(ProblemHttpResult problem) =>
        new() { Status = problem.StatusCode, Problem = problem.ProblemDetails };

    private static JobBatchItemResult ItemProblem(int status, string type, string title, string? detail, Dictionary<string, string[]>? errors)
    {
        var problem = new ProblemDetails { Type = type, Title = title, Status = status, Detail = detail };
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }

        return new JobBatchItemResult { Status = status, Problem = problem };
    }
}
