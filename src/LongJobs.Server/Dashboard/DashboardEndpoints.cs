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
internal sealed partial class DashboardEndpoints(
    LongJobsDashboardOptions options,
    JobLinks links,
    JobKindRegistry kinds,
    IJobRecords records,
    IQueuedJobs queue,
    IJobStatistics counts,
    IJobNodes nodes,
    IJobScheduler scheduler,
    TimeProvider time,
    JobAccess access,
    JobNotFound notFound,
    IAntiforgery antiforgery,
    IAuthorizationService? authorization)
{
    /// <summary>How many minutes the overview's charts show, the current one last: the window of its finished jobs.</summary>
    internal const int ChartMinutes = 60;

    /// <summary>Where the overview stops counting the unfinished jobs of one status.</summary>
    internal const int CountLimit = 10_000;

    /// <summary>Where the overview stops counting the jobs that finished in the last hour (the oldest minutes then fall short).</summary>
    internal const int FinishedCountLimit = 100_000;

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
        return TypedResults.Content(DashboardPage.Render(DashboardPage.RelativeApiPath(path, ApiPath), canOperate, access.CallerOf(context).IsAdministrator, token, kinds.Kinds.Select(kind => kind.Name)), "text/html; charset=utf-8");
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

    /// <summary>
    /// GET /_api/overview: the caller's jobs (an administrator's: everyone's) by status and kind, the unfinished ones now
    /// and those that finished in the last hour, with the finished ones per minute (the charts); the queue's length; the
    /// kinds and their pauses. From the store's counts (<see cref="IJobStatistics"/>), bounded whatever the store holds.
    /// </summary>
    public async Task<JsonHttpResult<DashboardOverview>> OverviewAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var currentMinute = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        var query = new JobStatisticsQuery
        {
            Owner = access.CallerOf(context).ListedOwner,
            Since = currentMinute.AddMinutes(1 - ChartMinutes),
            Until = currentMinute.AddMinutes(1),
            CountAtMost = CountLimit,
            FinishedAtMost = FinishedCountLimit,
        };
        var statistics = await counts.CountJobsAsync(query, cancellationToken).ConfigureAwait(false);
        var byStatus = Enum.GetNames<JobStatus>().ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
        var byKind = new SortedDictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var count in statistics.Counts)
        {
            var status = count.Status.ToString();
            byStatus[status] += count.Count;
            if (!byKind.TryGetValue(count.Kind, out var kind))
            {
                byKind[count.Kind] = kind = Enum.GetNames<JobStatus>().ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
            }

            kind[status] += count.Count;
        }

        var minutes = new DashboardMinutes { Succeeded = new int[ChartMinutes], Failed = new int[ChartMinutes], Canceled = new int[ChartMinutes] };
        foreach (var bucket in statistics.Buckets)
        {
            var minute = (int)((bucket.Start - query.Since) / query.BucketWidth);
            if (minute is >= 0 and < ChartMinutes)
            {
                var series = bucket.Status switch
                {
                    JobStatus.Succeeded => minutes.Succeeded,
                    JobStatus.Failed => minutes.Failed,
                    _ => minutes.Canceled,
                };
                series[minute] += bucket.Count;
            }
        }

        var queued = await queue.CountQueuedAsync(QueueCountLimit, cancellationToken).ConfigureAwait(false);
        var paused = await scheduler.GetPausedKindsAsync(cancellationToken).ConfigureAwait(false);
        var alive = await nodes.GetNodesAsync(cancellationToken).ConfigureAwait(false);
        var schedules = await scheduler.GetSchedulesAsync(cancellationToken).ConfigureAwait(false);
        var finished = statistics.Counts.Where(count => count.Status.IsFinished()).Sum(count => count.Count);
        return TypedResults.Json(new DashboardOverview
        {
            Since = query.Since,
            Statuses = byStatus,
            StatusesAtLeast = [.. Enum.GetValues<JobStatus>().Where(status => !status.IsFinished() && byStatus[status.ToString()] >= CountLimit).Select(status => status.ToString())],
            FinishedAtLeast = finished >= FinishedCountLimit,
            Kinds = [.. byKind.Select(kind => new DashboardKindCount { Kind = kind.Key, Total = kind.Value.Values.Sum(), Statuses = kind.Value })],
            Minutes = minutes,
            Queued = queued,
            QueuedAtLeast = queued >= QueueCountLimit,
            KindNames = [.. kinds.Kinds.Select(kind => kind.Name).Union(byKind.Keys).Order(StringComparer.Ordinal)],
            RegisteredKinds = [.. kinds.Kinds.Select(kind => kind.Name).Order(StringComparer.Ordinal)],
            PausedKinds = [.. paused.OrderBy(pause => pause.Kind, StringComparer.Ordinal).Select(pause => JobKindInfo.Of(pause.Kind, pause))],
            Nodes = alive,
            Schedules = [.. schedules.Select(JobScheduleInfo.Of)],
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

/// <summary>
/// The overview: the caller's unfinished jobs now and the jobs that finished since <see cref="Since"/> (the last hour), by
/// status and kind and per minute; the queue's length; the kinds.
/// </summary>
internal sealed record DashboardOverview
{
    /// <summary>The start of the window of finished jobs: the first minute of the charts.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>The counted jobs per status name: unfinished ones now, finished ones since <see cref="Since"/>.</summary>
    public required IReadOnlyDictionary<string, int> Statuses { get; init; }

    /// <summary>The unfinished statuses whose count stopped at <see cref="DashboardEndpoints.CountLimit"/>: there are at least that many.</summary>
    public required IReadOnlyList<string> StatusesAtLeast { get; init; }

    /// <summary>Whether the finished jobs' count stopped at <see cref="DashboardEndpoints.FinishedCountLimit"/>.</summary>
    public required bool FinishedAtLeast { get; init; }

    /// <summary>The counted jobs per kind, by status.</summary>
    public required IReadOnlyList<DashboardKindCount> Kinds { get; init; }

    /// <summary>The jobs that finished in each minute since <see cref="Since"/>, oldest first; the last is the current minute.</summary>
    public required DashboardMinutes Minutes { get; init; }

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

    /// <summary>The recurring schedules, with their next and last run and whether each is paused.</summary>
    public required IReadOnlyList<JobScheduleInfo> Schedules { get; init; }

    /// <summary>The servers alive that share the store (every caller's: names and counts, no job data), each with its running jobs.</summary>
    public required IReadOnlyList<JobNode> Nodes { get; init; }
}

/// <summary>
/// The jobs that finished in each minute of the charts, one series per final status, each a count per minute from the
/// overview's <see cref="DashboardOverview.Since"/> (arrays rather than an object per minute: a sixth of the bytes).
/// </summary>
internal sealed record DashboardMinutes
{
    /// <summary>How many succeeded, per minute.</summary>
    public required int[] Succeeded { get; init; }

    /// <summary>How many failed, per minute.</summary>
    public required int[] Failed { get; init; }

    /// <summary>How many were cancelled, per minute.</summary>
    public required int[] Canceled { get; init; }
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
