using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>GET /kinds lists the registered kinds and whether each is paused; POST /kinds/{kind}/pause and /resume, for administrators.</summary>
internal sealed partial class JobsApi
{
    /// <summary>Lists the registered job kinds.</summary>
    /// <remarks>Every kind this server runs, by name, with whether it is paused (on every server sharing the store) and since when.</remarks>
    /// <response code="200">The kinds.</response>
    /// <response code="400">The caller's identity cannot own jobs (an owner identifier too long, or not plain text).</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Ok<JobKindList>> ListKindsAsync(CancellationToken cancellationToken)
    {
        var pauses = (await scheduler.GetPausedKindsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(pause => pause.Kind, StringComparer.Ordinal);
        return TypedResults.Ok(new JobKindList
        {
            Items = [.. kinds.Kinds.OrderBy(kind => kind.Name, StringComparer.Ordinal).Select(kind => JobKindInfo.Of(kind.Name, pauses.GetValueOrDefault(kind.Name)))],
        });
    }

    /// <summary>Pauses a job kind.</summary>
    /// <remarks>
    /// Administrators only (LongJobsOptions.AdministratorRole). On every server sharing the store, the kind's queued jobs
    /// wait and none is claimed until it is resumed; its running jobs finish, and new jobs of it are still accepted (they
    /// wait too). Pausing a paused kind changes nothing.
    /// </remarks>
    /// <response code="200">The kind, paused.</response>
    /// <response code="403">The caller is not an administrator (or the server has no AdministratorRole).</response>
    /// <response code="404">No kind of that name is registered.</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Ok<JobKindInfo>, ProblemHttpResult>> PauseKindAsync([Description(ParameterDescriptions.KindName)] string kind, HttpContext context, CancellationToken cancellationToken)
    {
        if (KindActionRefused(kind, context) is { } refused)
        {
            return refused;
        }

        var pause = await scheduler.PauseKindAsync(kind, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(JobKindInfo.Of(pause.Kind, pause));
    }

    /// <summary>Resumes a paused job kind.</summary>
    /// <remarks>Administrators only (LongJobsOptions.AdministratorRole). The kind's queued jobs are claimed again, on every server sharing the store. Resuming a kind not paused changes nothing.</remarks>
    /// <response code="200">The kind, not paused.</response>
    /// <response code="403">The caller is not an administrator (or the server has no AdministratorRole).</response>
    /// <response code="404">No kind of that name is registered.</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Ok<JobKindInfo>, ProblemHttpResult>> ResumeKindAsync([Description(ParameterDescriptions.KindName)] string kind, HttpContext context, CancellationToken cancellationToken)
    {
        if (KindActionRefused(kind, context) is { } refused)
        {
            return refused;
        }

        await scheduler.ResumeKindAsync(kind, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(JobKindInfo.Of(kinds.TryGet(kind, out var found) ? found.Name : kind, pause: null));
    }

    /// <summary>403 unless the caller is an administrator; 404 for a kind not registered here.</summary>
    private ProblemHttpResult? KindActionRefused(string kind, HttpContext context) =>
        AdministratorsOnly(context, "Pausing and resuming kinds")
        ?? (kinds.TryGet(kind, out _) ? null : JobProblems.Problem(StatusCodes.Status404NotFound, "Unknown job kind.", $"No job kind named '{kind}' is registered."));

    /// <summary>403 unless the caller is an administrator, saying that <paramref name="action"/> is for administrators.</summary>
    private ProblemHttpResult? AdministratorsOnly(HttpContext context, string action) =>
        access.CallerOf(context).IsAdministrator
            ? null
            : JobProblems.Problem(
                StatusCodes.Status403Forbidden,
                "Administrators only.",
                options.AdministratorRole is null
                    ? $"{action} is for administrators: set LongJobsOptions.AdministratorRole to the role of those who may."
                    : $"{action} is for administrators: members of the role '{options.AdministratorRole}'.");
}

/// <summary>A registered job kind and whether it is paused.</summary>
public sealed class JobKindInfo
{
    /// <summary>The kind's name.</summary>
    [Required]
    public required string Name { get; init; }

    /// <summary>Whether the kind is paused: its queued jobs wait.</summary>
    [Required]
    public required bool Paused { get; init; }

    /// <summary>When it was paused, while it is.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    internal static JobKindInfo Of(string name, KindPause? pause) => new() { Name = name, Paused = pause is not null, PausedAt = pause?.PausedAt };
}

/// <summary>The registered job kinds, by name.</summary>
public sealed class JobKindList
{
    /// <summary>The kinds.</summary>
    [Required]
    public required IReadOnlyList<JobKindInfo> Items { get; init; }
}
