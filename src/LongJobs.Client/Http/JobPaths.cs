using System.Globalization;

namespace LongJobs.Client.Http;

/// <summary>The relative URIs of the jobs API.</summary>
internal static class JobPaths
{
    /// <summary><c>{JobsPath}{id}</c>, with <c>?wait=N</c> when <paramref name="wait"/> is positive.</summary>
    public static Uri Job(LongJobsClientOptions options, Guid id, TimeSpan wait = default)
    {
        var query = wait > TimeSpan.Zero ? FormattableString.Invariant($"?wait={(int)Math.Ceiling(wait.TotalSeconds)}") : string.Empty;
        return Relative(options, id.ToString("D", CultureInfo.InvariantCulture) + query);
    }

    /// <summary><c>{JobsPath}</c> without its trailing slash, then <paramref name="query"/>.</summary>
    public static Uri List(LongJobsClientOptions options, string query) =>
        new(options.JobsPath.TrimEnd('/') + query, UriKind.Relative);

    /// <summary><c>{JobsPath}{id}/cancel</c>.</summary>
    /// <summary><c>{JobsPath}{id}/retry</c>.</summary>
    public static Uri Retry(LongJobsClientOptions options, Guid id) =>
        Relative(options, id.ToString("D", CultureInfo.InvariantCulture) + "/retry");

    public static Uri Cancel(LongJobsClientOptions options, Guid id) =>
        Relative(options, id.ToString("D", CultureInfo.InvariantCulture) + "/cancel");

    /// <summary><c>{JobsPath}{id}/history</c>.</summary>
    public static Uri History(LongJobsClientOptions options, Guid id) =>
        Relative(options, id.ToString("D", CultureInfo.InvariantCulture) + "/history");

    /// <summary><c>{JobsPath}{path}</c>.</summary>
    public static Uri Relative(LongJobsClientOptions options, string path)
    {
        var prefix = options.JobsPath.EndsWith('/') ? options.JobsPath : options.JobsPath + "/";
        return new Uri(prefix + path, UriKind.Relative);
    }
}
