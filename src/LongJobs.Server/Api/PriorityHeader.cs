using System.Globalization;
using LongJobs.Server.Kinds;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// <c>LongJobs-Priority</c>: a job's own priority instead of its kind's, a whole number from
/// <see cref="JobKindOptions.MinPriority"/> to <see cref="JobKindOptions.MaxPriority"/>, sent once.
/// </summary>
internal static class PriorityHeader
{
    /// <summary>The header's name.</summary>
    public const string Name = "LongJobs-Priority";

    /// <summary>What a valid priority is, for an error.</summary>
    public static readonly string Expected = $"A whole number from {JobKindOptions.MinPriority} to {JobKindOptions.MaxPriority}.";

    /// <summary>Reads the priority a request asks for.</summary>
    /// <param name="request">The start request.</param>
    /// <param name="priority">The job's own priority, or <see langword="null"/> when the request asks for none.</param>
    /// <param name="errors">What is wrong with the header, when it is not valid.</param>
    /// <returns>Whether the header is absent or valid.</returns>
    public static bool TryRead(HttpRequest request, out int? priority, out Dictionary<string, string[]> errors)
    {
        priority = null;
        errors = new(StringComparer.Ordinal);
        var values = request.Headers[Name];
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && IsValid(value))
        {
            priority = value;
            return true;
        }

        errors[Name] = [values.Count > 1 ? "Send the header once, with one value." : Expected];
        return false;
    }

    /// <summary>Whether <paramref name="priority"/> is within the range a job's priority takes.</summary>
    public static bool IsValid(int priority) => priority is >= JobKindOptions.MinPriority and <= JobKindOptions.MaxPriority;
}
