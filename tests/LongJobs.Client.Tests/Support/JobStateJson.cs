using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Client.Tests.Support;

/// <summary>Writes job states as a LongJobs server does, for scripted servers.</summary>
internal static class JobStateJson
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Answers 200 with the state of job <paramref name="id"/> in <paramref name="status"/>, with an optional result and error.</summary>
    public static Task WriteAsync(HttpContext context, Guid id, string status, object? result = null, object? error = null, double progress = 0)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(
            new
            {
                id,
                kind = "scripted",
                status,
                progress,
                createdAt = DateTimeOffset.UnixEpoch,
                cancellationRequested = false,
                error,
                statusUrl = $"/api/jobs/{id}",
                result,
            },
            Web));
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
