using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Security;

/// <summary>
/// The default <see cref="IJobOwnerResolver"/>: an authenticated user's <see cref="ClaimTypes.NameIdentifier"/> claim,
/// or its <c>sub</c> claim (JWT bearer tokens when inbound claim mapping is off); nobody for anonymous requests and
/// for users with neither claim.
/// </summary>
internal sealed class ClaimsJobOwnerResolver : IJobOwnerResolver
{
    public string? GetOwner(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        return user.Identity?.IsAuthenticated == true
            ? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.FindFirst("sub")?.Value
            : null;
    }
}
