using System.Text.Json;
using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>An RFC 9457 problem: what the server answers for every error, and why a job failed.</summary>
public class ProblemDetails
{
    /// <summary>A URI reference that identifies the kind of problem.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>A short, human-readable summary of the problem.</summary>
    [JsonPropertyName("title")]
    public string? Title { get; set; }

    /// <summary>The HTTP status code, for errors of a request.</summary>
    [JsonPropertyName("status")]
    public int? Status { get; set; }

    /// <summary>An explanation specific to this occurrence.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; set; }

    /// <summary>A URI reference that identifies this occurrence.</summary>
    [JsonPropertyName("instance")]
    public string? Instance { get; set; }

    /// <summary>Members beyond the standard ones, such as <c>traceId</c> or <c>exceptionType</c>.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement> Extensions { get; set; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Detail is null ? Title ?? Type ?? "Problem" : $"{Title} {Detail}";
}

/// <summary>A problem about invalid input, with the errors by field.</summary>
public class HttpValidationProblemDetails : ProblemDetails
{
    /// <summary>The validation errors, by field name.</summary>
    [JsonPropertyName("errors")]
    public IDictionary<string, string[]> Errors { get; set; } = new Dictionary<string, string[]>(StringComparer.Ordinal);
}
