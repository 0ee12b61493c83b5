using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Security;

/// <summary>Tells who calls the jobs API (<see cref="IJobOwnerResolver"/>) and whether they are an administrator.</summary>
internal sealed class JobAccess(IJobOwnerResolver owners, IOptions<LongJobsOptions> options)
{
    private readonly string? _administratorRole = options.Value.AdministratorRole;

    public JobCaller CallerOf(HttpContext context)
    {
        var owner = owners.GetOwner(context);
        return new JobCaller(
            string.IsNullOrEmpty(owner) ? null : owner,
            _administratorRole is { } role && context.User.IsInRole(role));
    }
}

/// <summary>
/// Who calls the jobs API: a job with an owner is only its owner's (and administrators'); a job without an owner can
/// be read by anyone who has its ID, as when the app has no authentication.
/// </summary>
/// <param name="Owner">The caller's owner identifier; <see langword="null"/> for nobody in particular (anonymous).</param>
/// <param name="IsAdministrator">Whether the caller sees and cancels every job.</param>
internal readonly record struct JobCaller(string? Owner, bool IsAdministrator)
{
    /// <summary>Whether the caller may read, await and cancel <paramref name="job"/> by its ID.</summary>
    public bool CanAccess(JobRecord job) => IsAdministrator || job.Owner is null || string.Equals(job.Owner, Owner, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="job"/> is among the caller's jobs in lists and the stream of every job: its own (administrators: all).</summary>
    public bool Lists(JobRecord job) => IsAdministrator || string.Equals(job.Owner, Owner, StringComparison.Ordinal);

    /// <summary>The <see cref="JobQuery.Owner"/> that selects the jobs <see cref="Lists"/> shows.</summary>
    public string? ListedOwner => IsAdministrator ? null : Owner ?? JobQuery.NoOwner;
}
