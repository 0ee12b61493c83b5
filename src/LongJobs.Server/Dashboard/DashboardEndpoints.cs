using System.Text.Json;
using LongJobs.Server.Api;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Dashboard;

/// <summary>
/// The handlers behind <c>MapLongJobsDashboard</c>: the page, its embedded script and style sheet, and the little the
/// jobs API does not answer (the overview's counts, a job's request, cancel with the operator policy and an
/// antiforgery token). The page reads jobs through the jobs API itself, as the caller: the API's ownership rules decide
/// what it shows, and the endpoints here apply the same rules (<see cref="JobAccess"/>).
/// </summary>
internal sealed class DashboardEndpoints(
    LongJobsDashboardOptions options,
    JobLinks links,
    JobKindRegistry kinds,
    IJobRecords records,
    IQueuedJobs queue,
    IJobScheduler scheduler,
    JobAccess access,
    JobNotFound notFound,
    IAntiforgery antiforgery,
    IAuthorizationService? authorization)
{
    /// <summary>How many of the caller's newest jobs the overview counts: a bounded read, whatever the store holds.</summary>
    internal const int OverviewScanLimit = 1000;

    /// <summary>Where the overview stops counting the queue.</summary>
    internal const int QueueCountLimit = 10_000;

    /// <summary>
    /// How the dashboard's own answers are written: the page reads these names, whatever naming policy the application
    /// set for its JSON (a dictionary key policy would rename the status counts the page looks up).
    /// </summary>
    private static readonly JsonSerializerOptions PageJson = new(JsonSerializerDefaults.Web);

    /// <summary>The jobs API's path below <c>PathBase</c>: the option, else where <c>MapLongJobs</c> mapped it (read per request: it may be mapped after the dashboard).</summary>
    private string ApiPath => "/" + (options.ApiPath ?? links.Prefix).Trim('/');

    /// <summary>GET /: the page (a path without its final <c>/</c> is redirected to one with it).</summary>
    public async Task<Results<RedirectHttpResult, ContentHttpResult>> PageAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (!path.EndsWith('/'))
        {
            return TypedResults.Redirect(DashboardPage.WithTrailingSlash(path, context.Request.QueryString));
        }

        var canOperate = await CanOperateAsync(context).ConfigureAwait(false);
        var token = antiforgery.GetAndStoreTokens(context).RequestToken;
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = DashboardPage.ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        return TypedResults.Content(DashboardPage.Render(DashboardPage.RelativeApiPath(path, ApiPath), canOperate, token), "text/html; charset=utf-8");
    }

    /// <summary>GET /_assets/{file}: the embedded script or style sheet, revalidated by <c>ETag</c>.</summary>
    public static IResult Asset(string file, HttpContext context)
    {
        if (file == DashboardAssets.PageName || DashboardAssets.Find(file) is not { } asset)
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.Any(tag => tag is not null && tag.Split(',').Any(one => one.Trim() == asset.ETag)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    /// <summary>GET /_api/overview: counts by status and kind of the caller's newest jobs, the queue's length, the kinds.</summary>
    public async Task<JsonHttpResult<DashboardOverview>> OverviewAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = new JobQuery { Owner = access.CallerOf(context).ListedOwner, PageSize = JobQuery.MaxPageSize };
        var byStatus = Enum.GetNames<JobStatus>().ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
        var byKind = new SortedDictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var counted = 0;
        JobPage page;
        do
        {
            page = await records.ListAsync(query, cancellationToken).ConfigureAwait(false);
            foreach (var job in page.Items.Take(OverviewScanLimit - counted))
            {
                var status = job.Status.ToString();
                byStatus[status]++;
                if (!byKind.TryGetValue(job.Kind, out var kind))
                {
                    byKind[job.Kind] = kind = Enum.GetNames<JobStatus>().ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
                }

                kind[status]++;
                counted++;
            }

            query = query with { After = page.Next };
        }
        while (page.Next is not null && counted < OverviewScanLimit);

        var queued = await queue.CountQueuedAsync(QueueCountLimit, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new DashboardOverview
        {
            Counted = counted,
            CountedAll = page.Next is null,
            Statuses = byStatus,
            Kinds = [.. byKind.Select(kind => new DashboardKindCount { Kind = kind.Key, Total = kind.Value.Values.Sum(), Statuses = kind.Value })],
            Queued = queued,
            QueuedAtLeast = queued >= QueueCountLimit,
            KindNames = [.. kinds.Kinds.Select(kind => kind.Name).Union(byKind.Keys).Order(StringComparer.Ordinal)],
        }, PageJson);
    }

    /// <summary>GET /_api/jobs/{id}/request: the job's request, which the jobs API does not return; 404 as the API for a job the caller may not see.</summary>
    public async Task<Results<JsonHttpResult<DashboardJobRequest>, ProblemHttpResult>> RequestAsync(Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        var job = await records.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return job is null || !access.CallerOf(context).CanAccess(job)
            ? notFound.Problem(id)
            : TypedResults.Json(new DashboardJobRequest { Request = job.Request }, PageJson);
    }

    /// <summary>
    /// POST /_api/jobs/{id}/cancel: as the jobs API's cancel, for operators only (403 otherwise), with the page's
    /// antiforgery token in the <c>RequestVerificationToken</c> header (400 without it).
    /// </summary>
    public async Task<Results<Ok<JobState>, ProblemHttpResult>> CancelAsync(Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        if (!await CanOperateAsync(context).ConfigureAwait(false))
        {
            return JobProblems.Problem(
                StatusCodes.Status403Forbidden,
                "Not allowed to act on jobs.",
                $"Cancelling jobs from the dashboard needs the authorization policy '{options.OperatorPolicy}'; this caller may only view them.");
        }

        if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return JobProblems.Problem(
                StatusCodes.Status400BadRequest,
                "The antiforgery token is missing or not valid.",
                "Send the token of the dashboard's page in the 'RequestVerificationToken' header, with its cookie; reload the page to get a new one.");
        }

        // A job's owner never changes: checked once, it holds for the cancel.
        var job = await records.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        var state = await scheduler.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        return state is null
            ? notFound.Problem(id)
            : TypedResults.Ok(JobState.Of(state, $"{context.Request.PathBase}{ApiPath}/{state.Id}"));
    }

    /// <summary>Whether the caller meets <see cref="LongJobsDashboardOptions.OperatorPolicy"/> (every viewer when there is none).</summary>
    private async Task<bool> CanOperateAsync(HttpContext context) =>
        options.OperatorPolicy is not { } policy
        || (await authorization!.AuthorizeAsync(context.User, policy).ConfigureAwait(false)).Succeeded;
}

/// <summary>The overview: counts of the caller's newest jobs (at most <see cref="DashboardEndpoints.OverviewScanLimit"/>) and the queue's length.</summary>
internal sealed record DashboardOverview
{
    /// <summary>How many jobs were counted.</summary>
    public required int Counted { get; init; }

    /// <summary>Whether those are all the caller's jobs; else the newest ones.</summary>
    public required bool CountedAll { get; init; }

    /// <summary>The counted jobs per status name.</summary>
    public required IReadOnlyDictionary<string, int> Statuses { get; init; }

    /// <summary>The counted jobs per kind, by status.</summary>
    public required IReadOnlyList<DashboardKindCount> Kinds { get; init; }

    /// <summary>The queued jobs of every caller, up to <see cref="DashboardEndpoints.QueueCountLimit"/>.</summary>
    public required int Queued { get; init; }

    /// <summary>Whether the queue holds at least <see cref="Queued"/> jobs (the count stopped there).</summary>
    public required bool QueuedAtLeast { get; init; }

    /// <summary>The registered kinds and those of the counted jobs, for the list's filter.</summary>
    public required IReadOnlyList<string> KindNames { get; init; }
}

/// <summary>The counted jobs of one kind.</summary>
internal sealed record DashboardKindCount
{
    /// <summary>The kind's name.</summary>
    public required string Kind { get; init; }

    /// <summary>How many of its jobs were counted.</summary>
    public required int Total { get; init; }

    /// <summary>How many per status name.</summary>
    public required IReadOnlyDictionary<string, int> Statuses { get; init; }
}

/// <summary>A job's request as it was stored.</summary>
internal sealed record DashboardJobRequest
{
    /// <summary>The request; <see langword="null"/> for an ad-hoc job, which has none.</summary>
    public JsonElement? Request { get; init; }
}
