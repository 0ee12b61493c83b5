using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// The headers that start a job for later: <c>LongJobs-Not-Before</c>, an RFC 3339 date and time with its offset, or
/// <c>LongJobs-Delay</c>, whole seconds from now (as <c>Retry-After</c> counts them). At most one of them, sent once.
/// </summary>
internal static partial class StartTimeHeaders
{
    /// <summary>The header with the earliest time the job may run.</summary>
    public const string NotBeforeHeader = "LongJobs-Not-Before";

    /// <summary>The header with how many seconds from now the job may run.</summary>
    public const string DelayHeader = "LongJobs-Delay";

    /// <summary>The longest delay accepted: ten years, in seconds.</summary>
    public const long MaxDelaySeconds = 10L * 366 * 24 * 60 * 60;

    /// <summary>Reads the start time a request asks for.</summary>
    /// <param name="request">The start request.</param>
    /// <param name="time">The server's clock, for a delay.</param>
    /// <param name="notBefore">The earliest time the job may run, or <see langword="null"/> when the request asks for none.</param>
    /// <param name="errors">What is wrong with the headers, when they are not valid.</param>
    /// <returns>Whether the headers are valid.</returns>
    public static bool TryRead(HttpRequest request, TimeProvider time, out DateTimeOffset? notBefore, out Dictionary<string, string[]> errors)
    {
        notBefore = null;
        errors = new(StringComparer.Ordinal);
        var at = request.Headers[NotBeforeHeader];
        var delay = request.Headers[DelayHeader];
        if (at.Count > 0 && delay.Count > 0)
        {
            errors[DelayHeader] = [$"Send {NotBeforeHeader} or {DelayHeader}, not both."];
            return false;
        }

        if (at.Count > 0)
        {
            if (at.Count == 1 && TryParseDateTime(at[0], out var parsed))
            {
                notBefore = parsed;
                return true;
            }

            errors[NotBeforeHeader] = ["Send one RFC 3339 date and time with its offset, such as 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00."];
            return false;
        }

        if (delay.Count > 0)
        {
            if (delay.Count == 1 && long.TryParse(delay[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxDelaySeconds)
            {
                notBefore = time.GetUtcNow().AddSeconds(seconds);
                return true;
            }

            errors[DelayHeader] = [$"Send one whole number of seconds, from 0 to {MaxDelaySeconds}."];
            return false;
        }

        return true;
    }

    /// <summary>Parses an RFC 3339 <c>date-time</c>: date, <c>T</c>, time with optional fraction, and <c>Z</c> or an offset.</summary>
    internal static bool TryParseDateTime(string? value, out DateTimeOffset parsed)
    {
        parsed = default;
        return value is not null
            && Rfc3339DateTime().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out parsed);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339DateTime();
}
