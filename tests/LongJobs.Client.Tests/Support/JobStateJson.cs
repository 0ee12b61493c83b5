using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Client.Tests.Support;

/// <summary>Writes job states as a LongJobs server does, for scripted servers.</summary>
internal static class JobStateJson
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Answers 200 with the state of job <paramref name="id"/> in <paramref name="status"/>, with an optional result,
    /// error, progress message and version (<c>ETag</c>, sent as <c>"version"</c>).
    /// </summary>
    public static Task WriteAsync(HttpContext context, Guid id, string status, object? result = null, object? error = null, double progress = 0, int? version = null, string kind = "scripted", string? message = null)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        if (version is { } tag)
        {
            context.Response.Headers.ETag = $"\"{tag}\"";
        }

        return context.Response.WriteAsync(JsonSerializer.Serialize(
            new
            {
                id,
                kind,
                status,
                progress,
                progressMessage = message,
                createdAt = DateTimeOffset.UnixEpoch,
                cancellationRequested = false,
                error,
                statusUrl = $"/api/jobs/{id}",
                result,
            },
            Web));
    }

    /// <summary>Answers 304 Not Modified for <paramref name="version"/>, saying the server long-polled.</summary>
    public static Task WriteNotModifiedAsync(HttpContext context, int version, bool longPolled = true)
    {
        context.Response.StatusCode = StatusCodes.Status304NotModified;
        context.Response.Headers.ETag = $"\"{version}\"";
        if (longPolled)
        {
            context.Response.Headers["Preference-Applied"] = "wait=30";
        }

        return Task.CompletedTask;
    }

    /// <summary>Answers 404 with the problem a LongJobs server sends for a job it does not have, with <paramref name="reason"/>.</summary>
    public static Task WriteNotFoundAsync(HttpContext context, Guid id, string reason, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { type = "https://tools.ietf.org/html/rfc9110#section-15.5.5", title = "Job not found.", status = 404, detail, reason, id }, Web));
    }

    /// <summary>Answers <paramref name="status"/> with a problem-details body and, when given, <c>Retry-After</c>.</summary>
    public static Task WriteProblemAsync(HttpContext context, int status, int? retryAfterSeconds = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return context.Response.WriteAsync(JsonSerializer.Serialize(new { type = "about:blank", title = $"Scripted {status}.", status }, Web));
    }
}
