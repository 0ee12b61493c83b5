using System.Globalization;
using LongJobs.Server.Execution;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>The jobs API's RFC 9457 problem details that are not about one field of the request.</summary>
internal static class JobProblems
{
    public static ProblemHttpResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);

    /// <summary>429 when the queue is full, 503 while shutting down; both with <c>Retry-After</c>.</summary>
    public static ProblemHttpResult Rejected(JobRejectedException exception, HttpContext context)
    {
        context.Response.Headers.RetryAfter = Seconds(exception.RetryAfter);
        return exception.Reason == JobRejectionReason.QueueFull
            ? Problem(StatusCodes.Status429TooManyRequests, "Too many jobs.", exception.Message)
            : Problem(StatusCodes.Status503ServiceUnavailable, "Shutting down.", exception.Message);
    }

    /// <summary>503 with <c>Retry-After</c>: the job store cannot be reached for now.</summary>
    public static ProblemHttpResult StoreUnavailable(HttpContext context, LongJobsOptions options)
    {
        context.Response.Headers.RetryAfter = Seconds(options.StoreUnavailableRetryAfter);
        return Problem(StatusCodes.Status503ServiceUnavailable, "Job store unavailable.", "The job store cannot be reached for now; nothing already stored is lost. Try again later.");
    }

    /// <summary>
    /// 503 with <c>Retry-After</c> for a start: the job store could not be reached, perhaps after it stored the job, which
    /// then runs. With an <c>Idempotency-Key</c>, repeating the request is safe; without one, it may start a second job.
    /// When the store was never reached (<paramref name="mayHaveStored"/> is false), the job was not stored.
    /// </summary>
    public static ProblemHttpResult StartUnavailable(HttpContext context, LongJobsOptions options, bool hasIdempotencyKey, bool mayHaveStored)
    {
        context.Response.Headers.RetryAfter = Seconds(options.StoreUnavailableRetryAfter);
        return Problem(
            StatusCodes.Status503ServiceUnavailable,
            "Job store unavailable.",
            !mayHaveStored
                ? "The job store cannot be reached for now, and the job was not stored. Repeat the request later."
                : "The job store cannot be reached for now. It may have stored the job before it became unreachable: the job then runs. " + (hasIdempotencyKey
                    ? "Repeat the request with the same Idempotency-Key later: it answers with that job if it was stored, and starts it otherwise."
                    : "Repeating the request may then start a second job; send an Idempotency-Key to make a start safe to repeat."));
    }

    /// <summary>A delay as whole seconds for <c>Retry-After</c>, at least 1.</summary>
    public static string Seconds(TimeSpan delay) =>
        Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
