using LongJobs.Server.Security;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// Refuses, with a 400 problem before any handler reads or writes a store, a request whose caller's owner identifier
/// (from <see cref="IJobOwnerResolver"/>) no store can keep: longer than <see cref="MaxLength"/> characters, or with a
/// control character (PostgreSQL refuses NUL in text) or an unpaired surrogate (not Unicode text, so not UTF-8). The
/// rule is the API's, so every store answers such a caller alike.
/// </summary>
internal sealed class OwnerIdentifierFilter(JobAccess access) : IEndpointFilter
{
    /// <summary>The longest owner identifier: room for any identity provider's subject (OpenID Connect allows 255 ASCII characters), and short enough for a database index.</summary>
    public const int MaxLength = 512;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (access.CallerOf(context.HttpContext).Owner is { } owner && !IsValid(owner))
        {
            return ValueTask.FromResult<object?>(JobProblems.Problem(
                StatusCodes.Status400BadRequest,
                "The caller's identity cannot own jobs.",
                $"The caller's owner identifier must be at most {MaxLength} characters, without control characters or unpaired surrogates."));
        }

        return next(context);
    }

    /// <summary>Whether a store can keep <paramref name="owner"/> as a job's owner.</summary>
    internal static bool IsValid(string owner)
    {
        if (owner.Length > MaxLength)
        {
            return false;
        }

        for (var i = 0; i < owner.Length; i++)
        {
            var character = owner[i];
            if (char.IsHighSurrogate(character) && i + 1 < owner.Length && char.IsLowSurrogate(owner[i + 1]))
            {
                i++;
            }
            else if (char.IsControl(character) || char.IsSurrogate(character))
            {
                return false;
            }
        }

        return true;
    }
}
