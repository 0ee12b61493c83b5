using System.Net;
using System.Text.Json;
using LongJobs.Client.Models;
using LongJobs.Client.Resilience;

namespace LongJobs.Client.Http;

/// <summary>Reads the jobs API's answers: a body of the expected type, or a <see cref="LongJobsRequestException"/> that says what went wrong.</summary>
internal static class JobResponses
{
    /// <summary>Reads one job's state with its version (<c>ETag</c>).</summary>
    public static async Task<JobState> ReadStateAsync(HttpResponseMessage response, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var state = await ReadAsync<JobState>(response, json, cancellationToken).ConfigureAwait(false);
        state.ETag = response.Headers.ETag?.ToString();
        return state;
    }

    /// <summary>Reads a successful response's body as <typeparamref name="T"/>; throws for an error status or a body that is not one.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonSerializerOptions json, CancellationToken cancellationToken)
        where T : class
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, body);
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(body, json);
        }
        catch (JsonException exception)
        {
            throw new LongJobsRequestException($"The response could not be read as a {typeof(T).Name}.", (int)response.StatusCode, body, HeadersOf(response), exception);
        }

        return value ?? throw new LongJobsRequestException("The response body was empty.", (int)response.StatusCode, body, HeadersOf(response), null);
    }

    /// <summary>Throws the error an unsuccessful response stands for; does nothing for a successful one.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// The exception for an error response: its status, the server's problem details when it sent them, and how many
    /// attempts the retries made, over how long.
    /// </summary>
    public static LongJobsRequestException Failure(HttpResponseMessage response, string body)
    {
        ProblemDetails? problem = null;
        try
        {
            problem = body.Length > 0 ? JsonSerializer.Deserialize<ProblemDetails>(body, JsonSerializerOptions.Web) : null;
        }
        catch (JsonException)
        {
            // Not problem details: the exception keeps the raw body.
        }

        var status = (int)response.StatusCode;
        var retries = response.RequestMessage is { } request && request.Options.TryGetValue(LongJobsResilienceHandler.AttemptsKey, out var attempts) && attempts.Count > 1
            ? $" after {attempts}"
            : string.Empty;
        var message = $"The server answered {status} {response.ReasonPhrase}{retries}{(problem is null ? "." : $": {problem}")}";
        var headers = HeadersOf(response);
        return problem is null
            ? new LongJobsRequestException(message, status, body, headers, null)
            : new LongJobsRequestException<ProblemDetails>(message, status, body, headers, problem, null);
    }

    /// <summary>
    /// The exception for a job that was seen and is now gone (404 while it was followed): what was last known of it,
    /// and what the server says of its absence (restarted with an in-memory store, or removed after it finished).
    /// </summary>
    public static LongJobsRequestException Lost(JobInfo lastSeen, LongJobsRequestException notFound)
    {
        var why = notFound.Problem?.Detail is { Length: > 0 } detail && notFound.Problem.Extensions.ContainsKey("reason")
            ? detail
            : "the server may have restarted and lost it (jobs kept in memory do not survive a restart), or removed it after it finished (retention), or it was deleted.";
        var message = $"Job '{lastSeen.Id}' ('{lastSeen.Kind}', last seen {lastSeen.Status}) is gone from the server: {why}";
        return notFound.Problem is { } problem
            ? new LongJobsRequestException<ProblemDetails>(message, notFound.StatusCode, notFound.Response, notFound.Headers, problem, notFound)
            : new LongJobsRequestException(message, notFound.StatusCode, notFound.Response, notFound.Headers, notFound);
    }

    /// <summary>Whether <paramref name="exception"/> says the job does not exist (404).</summary>
    public static bool IsNotFound(LongJobsRequestException exception) => exception.StatusCode == (int)HttpStatusCode.NotFound;

    public static Dictionary<string, IEnumerable<string>> HeadersOf(HttpResponseMessage response) =>
        response.Headers.Concat(response.Content.Headers)
            .ToDictionary(header => header.Key, header => header.Value, StringComparer.OrdinalIgnoreCase);
}
