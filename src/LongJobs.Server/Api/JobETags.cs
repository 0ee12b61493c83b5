using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace LongJobs.Server.Api;

/// <summary>
/// A job's entity tag: its <see cref="Jobs.JobSnapshot.Version"/> as a strong ETag (<c>"12"</c>), which changes with every
/// change of the stored job, and the <c>If-None-Match</c> check against it.
/// </summary>
internal static class JobETags
{
    /// <summary>The ETag of a job's state of <paramref name="version"/>.</summary>
    public static string Of(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>
    /// Whether <c>If-None-Match</c> <paramref name="ifNoneMatch"/> names the job's state of <paramref name="version"/>: <c>*</c>,
    /// or one of its entity tags by weak comparison (RFC 9110 §13.1.2, so <c>W/"12"</c> matches too).
    /// </summary>
    /// <returns><see langword="null"/> when the header is absent or not a list of entity tags: it is then ignored, as if not sent.</returns>
    public static bool? Matches(string? ifNoneMatch, long version)
    {
        if (string.IsNullOrEmpty(ifNoneMatch) || !EntityTagHeaderValue.TryParseList([ifNoneMatch], out var tags) || tags.Count == 0)
        {
            return null;
        }

        var current = new EntityTagHeaderValue(Of(version));
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }
}
