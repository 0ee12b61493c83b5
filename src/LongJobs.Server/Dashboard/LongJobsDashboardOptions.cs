namespace LongJobs.Server.Dashboard;

/// <summary>
/// Who may use the jobs dashboard mapped by <c>MapLongJobsDashboard</c>, and where it finds the jobs API. Outside the
/// Development environment, mapping needs <see cref="ViewerPolicy"/> or <see cref="AllowAnonymous"/>.
/// </summary>
public sealed class LongJobsDashboardOptions
{
    /// <summary>
    /// The authorization policy a caller must meet to see the dashboard: its page and its endpoints require it. The
    /// dashboard shows a caller only the jobs the jobs API shows them (their own; an administrator's: all).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no policy, allowed only in Development or with <see cref="AllowAnonymous"/>.</value>
    public string? ViewerPolicy { get; set; }

    /// <summary>
    /// The authorization policy a viewer must also meet to act on jobs (cancel); others get the page without the
    /// actions, and 403 problem details from the action endpoints.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: every viewer may act.</value>
    public string? OperatorPolicy { get; set; }

    /// <summary>
    /// Maps the dashboard without <see cref="ViewerPolicy"/> outside Development: anyone who reaches it sees the jobs
    /// that anonymous callers may see, and cancels them. Set it only when something else guards the path (a fallback
    /// policy, a group's <c>RequireAuthorization</c>, a proxy) or the jobs are not sensitive.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>The path (below the request's <c>PathBase</c>) of the jobs API the page calls.</summary>
    /// <value>The default value is <see langword="null"/>: the prefix <c>MapLongJobs</c> mapped the API at (by default <c>/api/jobs</c>).</value>
    public string? ApiPath { get; set; }
}
