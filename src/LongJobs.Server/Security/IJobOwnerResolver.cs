using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Security;

/// <summary>
/// Says who a request to the jobs API is, as an owner of jobs: a job records the owner of the request that started
/// it, and the API shows a job with an owner only to that owner (and to administrators, see
/// <see cref="LongJobsOptions.AdministratorRole"/>). Register your own to use another claim, a tenant, or an API key's
/// identity; the default uses the authenticated user's <c>NameIdentifier</c> claim, or <c>sub</c>.
/// </summary>
public interface IJobOwnerResolver
{
    /// <summary>Gets the owner of the jobs this request starts and may see.</summary>
    /// <param name="context">The request, with its authenticated <see cref="HttpContext.User"/>.</param>
    /// <returns>
    /// The owner's identifier (compared exactly, case included), or <see langword="null"/> (or empty) when the caller is
    /// nobody in particular: the jobs it starts have no owner, and it sees only jobs without an owner. An identifier of
    /// more than 512 characters, or with a control character or an unpaired surrogate, makes the jobs API answer 400.
    /// </returns>
    string? GetOwner(HttpContext context);
}
