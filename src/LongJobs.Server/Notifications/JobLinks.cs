using LongJobs.Server.Storage;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Api;

/// <summary>
/// Makes a job's status URL outside a request (for webhooks and emails): under <see cref="LongJobsOptions.PublicBaseUrl"/>
/// and the prefix <c>MapLongJobs</c> mapped the API at.
/// </summary>
internal sealed class JobLinks(IOptions<LongJobsOptions> options)
{
    private readonly string? _baseUrl = options.Value.PublicBaseUrl?.TrimEnd('/');

    /// <summary>The prefix of the jobs API; set by <c>MapLongJobs</c>.</summary>
    public string Prefix { get; set; } = "/api/jobs";

    /// <summary>Whether status URLs are absolute (<see cref="LongJobsOptions.PublicBaseUrl"/> is set).</summary>
    public bool IsAbsolute => _baseUrl is not null;

    /// <summary>The job's status URL: absolute when <see cref="IsAbsolute"/>, else a path.</summary>
    public string StatusUrl(Guid id) => $"{_baseUrl}{Prefix}/{id}";

    /// <summary>The job's state as <c>GET {prefix}/{id}</c> answers it, with its status URL from <see cref="StatusUrl"/>.</summary>
    public JobState State(JobRecord job) => new(JobInfo.From(job, StatusUrl(job.Id))) { Result = job.Result };
}
