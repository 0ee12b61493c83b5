using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>
/// A request to a LongJobs server failed: an error status after any retries, a response that could not be
/// read, or no response at all (a network error or timeout after the retries, with <see cref="StatusCode"/> 0).
/// Thrown by the generated client and by <see cref="LongJobsClient"/> alike.
/// </summary>
public class LongJobsRequestException : Exception
{
    /// <summary>Creates the exception; the generated client calls this constructor.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The response's HTTP status code.</param>
    /// <param name="response">The response body, if any.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public LongJobsRequestException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>> headers, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Response = response;
        Headers = headers;
    }

    /// <summary>The response's HTTP status code; 0 when no response arrived.</summary>
    public int StatusCode { get; }

    /// <summary>The response body, if any.</summary>
    public string? Response { get; }

    /// <summary>The response headers.</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> Headers { get; }

    /// <summary>The server's problem details, when the response carried them.</summary>
    public virtual ProblemDetails? Problem => null;

    /// <inheritdoc />
    public override string ToString() => StatusCode == 0 ? base.ToString() : $"HTTP {StatusCode}: {Message}{Environment.NewLine}{base.ToString()}";
}

/// <summary>A request failed and the server explained why in a <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The error body's type, usually <see cref="ProblemDetails"/>.</typeparam>
public class LongJobsRequestException<TResult> : LongJobsRequestException
{
    /// <summary>Creates the exception; the generated client calls this constructor.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The response's HTTP status code.</param>
    /// <param name="response">The response body, if any.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="result">The error body.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public LongJobsRequestException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>> headers, TResult result, Exception? innerException)
        : base(message, statusCode, response, headers, innerException)
    {
        Result = result;
    }

    /// <summary>The error body.</summary>
    public TResult Result { get; }

    /// <inheritdoc />
    public override ProblemDetails? Problem => Result as ProblemDetails;
}
