using Microsoft.Extensions.Options;

namespace LongJobs.Server.Notifications;

/// <summary>
/// Makes a job's status URL outside a request (for webhooks and emails): under <see cref="LongJobsOptions.PublicBaseUrl"/>
/// and the prefix <c>MapLongJobs</c> mapped the API at.
/// </summary>
internal sealed class JobLinks(IOptions<LongJobsOptions> options)
{
    private readonly string? _baseUrl = options.Value.PublicBaseUrl?.TrimEnd('/');

    /// <summary>The prefix of the jobs API; set by <c>MapLongJobs</c>.</summary>
    public string Prefix { get; set; } = "/api/jobs";

    /// <summary>The job's status URL: absolute when <see cref="LongJobsOptions.PublicBaseUrl"/> is set, else a path.</summary>
    public string StatusUrl(Guid id) => $"{_baseUrl}{Prefix}/{id}";
}
