using System.ComponentModel;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>GET /: the caller's jobs, newest first, a page at a time (keyset paging with <see cref="PageTokens"/>).</summary>
internal sealed partial class JobsApi
{
    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultPageSize = 20;

    /// <summary>Lists jobs, newest first.</summary>
    /// <remarks>
    /// One page of the caller's jobs (with authentication; an administrator's: every job, or one owner's), newest first,
    /// optionally of one status or kind and created within a time range, without their requests and results. Paging is
    /// by keyset: pass 'nextPageToken' as 'pageToken' (with the same filters) for the next page, with no duplicates or
    /// gaps while jobs arrive.
    /// </remarks>
    /// <response code="200">One page of jobs; 'nextPageToken' is absent on the last page.</response>
    /// <response code="400">A filter, the page size or the page token is not valid.</response>
    /// <response code="403">A caller who is not an administrator named another owner.</response>
    public async Task<Results<Ok<JobList>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [Description(ParameterDescriptions.Status)] JobStatus? status,
        [Description(ParameterDescriptions.Kind)] string? kind,
        [Description(ParameterDescriptions.PageSize)] int? pageSize,
        [Description(ParameterDescriptions.PageToken)] string? pageToken,
        [Description(ParameterDescriptions.Owner)] string? owner,
        [Description(ParameterDescriptions.CreatedAfter)] DateTimeOffset? createdAfter,
        [Description(ParameterDescriptions.CreatedBefore)] DateTimeOffset? createdBefore,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var caller = access.CallerOf(context);
        if (owner is not null && (owner.Length == 0 || !OwnerIdentifierFilter.IsValid(owner)))
        {
            errors["owner"] = [$"The owner is an owner identifier: 1 to {OwnerIdentifierFilter.MaxLength} characters, without control characters."];
        }
        else if (owner is not null && !caller.IsAdministrator && !string.Equals(owner, caller.Owner, StringComparison.Ordinal))
        {
            return JobProblems.Problem(
                StatusCodes.Status403Forbidden,
                "Administrators only.",
                options.AdministratorRole is null
                    ? "Listing another owner's jobs is for administrators: set LongJobsOptions.AdministratorRole to the role of those who may."
                    : $"Listing another owner's jobs is for administrators: members of the role '{options.AdministratorRole}'.");
        }

        foreach (var (name, value) in new[] { ("createdAfter", createdAfter), ("createdBefore", createdBefore) })
        {
            // Binding takes a time without an offset as the server's local time: the filter asks for the offset.
            if (value is not null && !StartTimeHeaders.TryParseDateTime(context.Request.Query[name], out _))
            {
                errors[name] = [DateTimeRule];
            }
        }

        if (createdAfter >= createdBefore && !errors.ContainsKey("createdAfter") && !errors.ContainsKey("createdBefore"))
        {
            errors["createdBefore"] = ["The end of the range must come after its start ('createdAfter')."];
        }
        if (status is not null && !IsStatusName(context.Request.Query["status"]))
        {
            errors["status"] = [StatusNames];
        }

        if (!TryReadKindFilter(ref kind))
        {
            errors["kind"] = [KindFilterRule];
        }

        if (pageSize is < 1 or > JobQuery.MaxPageSize)
        {
            errors["pageSize"] = [$"The page size must be from 1 to {JobQuery.MaxPageSize}."];
        }

        JobCursor? after = null;
        if (pageToken is not null && (after = PageTokens.Decode(pageToken)) is null)
        {
            errors["pageToken"] = ["The page token is not one this server issued."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var query = new JobQuery
        {
            Status = status,
            Kind = kind,
            Owner = owner ?? caller.ListedOwner,
            CreatedAfter = createdAfter,
            CreatedBefore = createdBefore,
            PageSize = pageSize ?? DefaultPageSize,
            After = after,
        };
        var page = await store.ListAsync(query, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new JobList
        {
            Items = [.. page.Items.Select(job => ToInfo(job.ToSnapshot(), context))],
            NextPageToken = page.Next is { } next ? PageTokens.Encode(next) : null,
        });
    }

    /// <summary>The message for a bad <c>status</c> filter.</summary>
    internal static string StatusNames { get; } = $"The status must be one of: {string.Join(", ", Enum.GetNames<JobStatus>())}.";

    /// <summary>The message for a bad <c>createdAfter</c> or <c>createdBefore</c> filter.</summary>
    internal const string DateTimeRule = "Send one RFC 3339 date and time with its offset, such as 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00.";

    /// <summary>The message for a bad <c>kind</c> filter.</summary>
    internal const string KindFilterRule = "The kind is a job kind's name: at most 64 letters and digits, in words joined by single hyphens, starting with a letter.";

    /// <summary>
    /// Reads a <c>kind</c> filter: absent, or a kind's name in any case (as routes match kinds), which it lowercases. Any
    /// other value is refused before it reaches the store, which could not keep it (PostgreSQL refuses NUL in text).
    /// </summary>
    internal static bool TryReadKindFilter(ref string? kind)
    {
        if (kind is null)
        {
            return true;
        }

        kind = kind.ToLowerInvariant();
        return JobKindRegistry.IsValidName(kind);
    }

    /// <summary>Whether a <c>status</c> query value is a status name as binding reads it: exact case, not a number or a list.</summary>
    internal static bool IsStatusName(string? value) =>
        Enum.GetNames<JobStatus>().Contains(value, StringComparer.Ordinal);
}
