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
        return TypedResults.Content(DashboardPage.Render(DashboardPage.RelativeApiPath(path, ApiPath), canOperate, token, kinds.Kinds.Select(kind => kind.Name)), "text/html; charset=utf-8");
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
        var paused = await scheduler.GetPausedKindsAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new DashboardOverview
        {
            Counted = counted,
            CountedAll = page.Next is null,
            Statuses = byStatus,
            Kinds = [.. byKind.Select(kind => new DashboardKindCount { Kind = kind.Key, Total = kind.Value.Values.Sum(), Statuses = kind.Value })],
            Queued = queued,
            QueuedAtLeast = queued >= QueueCountLimit,
            KindNames = [.. kinds.Kinds.Select(kind => kind.Name).Union(byKind.Keys).Order(StringComparer.Ordinal)],
            RegisteredKinds = [.. kinds.Kinds.Select(kind => kind.Name).Order(StringComparer.Ordinal)],
            PausedKinds = [.. paused.OrderBy(pause => pause.Kind, StringComparer.Ordinal).Select(pause => JobKindInfo.Of(pause.Kind, pause))],
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
        if (await RefuseActionAsync("Cancelling jobs", context).ConfigureAwait(false) is { } refused)
        {
            return refused;
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

    /// <summary>
    /// POST /_api/jobs/{id}/retry: as the jobs API's retry (a new job linked to the failed or cancelled one), for operators
    /// only (403 otherwise), with the page's antiforgery token (400 without it); 409 for a job that cannot be retried. A
    /// second retry of the same job answers with the first retry (a double click starts one job).
    /// </summary>
    public async Task<Results<Accepted<JobState>, ProblemHttpResult>> RetryAsync(Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        if (await RefuseActionAsync("Retrying jobs", context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var job = await records.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        if (JobsApi.WhyNotRetryable(job.Status, job.Request is null, kinds.Contains(job.Kind)) is { } reason)
        {
            return JobProblems.Problem(
                StatusCodes.Status409Conflict,
                "The job cannot be retried.",
                $"Job '{id}' {reason}",
                new Dictionary<string, object?> { ["jobStatus"] = job.Status.ToString() });
        }

        var retry = await scheduler.RetryAsync(id, cancellationToken).ConfigureAwait(false);
        if (retry is null)
        {
            return notFound.Problem(id);
        }

        var statusUrl = $"{context.Request.PathBase}{ApiPath}/{retry.Id}";
        return TypedResults.Accepted(statusUrl, JobState.Of(retry.State, statusUrl));
    }

    /// <summary>POST /_api/kinds/{kind}/pause: pauses a registered kind on every server sharing the store, for operators only, with the antiforgery token.</summary>
    public Task<Results<Ok<JobKindInfo>, ProblemHttpResult>> PauseKindAsync(string kind, HttpContext context, CancellationToken cancellationToken) =>
        ChangeKindAsync(kind, pause: true, context, cancellationToken);

    /// <summary>POST /_api/kinds/{kind}/resume: resumes a paused kind, for operators only, with the antiforgery token.</summary>
    public Task<Results<Ok<JobKindInfo>, ProblemHttpResult>> ResumeKindAsync(string kind, HttpContext context, CancellationToken cancellationToken) =>
        ChangeKindAsync(kind, pause: false, context, cancellationToken);

    private async Task<Results<Ok<JobKindInfo>, ProblemHttpResult>> ChangeKindAsync(string kind, bool pause, HttpContext context, CancellationToken cancellationToken)
    {
        if (await RefuseActionAsync(pause ? "Pausing kinds" : "Resuming kinds", context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        if (!kinds.TryGet(kind, out var registered))
        {
            return JobProblems.Problem(StatusCodes.Status404NotFound, "Unknown job kind.", $"No job kind named '{kind}' is registered.");
        }

        if (pause)
        {
            var paused = await scheduler.PauseKindAsync(registered.Name, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(JobKindInfo.Of(paused.Kind, paused));
        }

        await scheduler.ResumeKindAsync(registered.Name, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(JobKindInfo.Of(registered.Name, pause: null));
    }

    /// <summary>
    /// The answer to an action the caller may not take: 403 without <see cref="LongJobsDashboardOptions.OperatorPolicy"/>,
    /// 400 without the page's antiforgery token; <see langword="null"/> when the action may go on.
    /// </summary>
    private async Task<ProblemHttpResult?> RefuseActionAsync(string action, HttpContext context)
    {
        if (!await CanOperateAsync(context).ConfigureAwait(false))
        {
            return JobProblems.Problem(
                StatusCodes.Status403Forbidden,
                "Not allowed to act on jobs.",
                $"{action} from the dashboard needs the authorization policy '{options.OperatorPolicy}'; this caller may only view them.");
        }

        if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return JobProblems.Problem(
                StatusCodes.Status400BadRequest,
                "The antiforgery token is missing or not valid.",
                "Send the token of the dashboard's page in the 'RequestVerificationToken' header, with its cookie; reload the page to get a new one.");
        }

        return null;
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

    /// <summary>The kinds this server registers: their failed and cancelled jobs can be retried, and they can be paused.</summary>
    public required IReadOnlyList<string> RegisteredKinds { get; init; }

    /// <summary>The paused kinds, on every server sharing the store, with the time each was paused.</summary>
    public required IReadOnlyList<JobKindInfo> PausedKinds { get; init; }
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
