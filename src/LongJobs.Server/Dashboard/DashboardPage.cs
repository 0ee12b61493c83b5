using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Dashboard;

/// <summary>
/// The dashboard's HTML page: the embedded template with what the script needs in attributes of <c>body</c> (the
/// jobs API's path relative to the page, whether the caller may act, the antiforgery token). All its URLs are
/// relative, so it works under any <c>PathBase</c> and behind a proxy that adds a prefix the app does not know about.
/// </summary>
internal static class DashboardPage
{
    /// <summary>
    /// The Content-Security-Policy of the page: its own script, style and requests only; no inline script, no frames.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Fills in the template; <paramref name="isAdministrator"/> shows the owner filter (the API refuses it to others),
    /// <paramref name="registeredKinds"/> are the kinds whose failed jobs can be retried here.
    /// </summary>
    public static string Render(string apiPath, bool canOperate, bool isAdministrator, string? antiforgeryToken, IEnumerable<string> registeredKinds)
    {
        var template = Encoding.UTF8.GetString(DashboardAssets.Find(DashboardAssets.PageName)!.Content);
        var encoder = HtmlEncoder.Default;
        return template
            .Replace("{{api}}", encoder.Encode(apiPath), StringComparison.Ordinal)
            .Replace("{{can-operate}}", canOperate ? "true" : "false", StringComparison.Ordinal)
            .Replace("{{administrator}}", isAdministrator ? "true" : "false", StringComparison.Ordinal)
            .Replace("{{token}}", encoder.Encode(antiforgeryToken ?? string.Empty), StringComparison.Ordinal)
            .Replace("{{kinds}}", encoder.Encode(string.Join(' ', registeredKinds)), StringComparison.Ordinal);
    }

    /// <summary>
    /// The path of the API (<paramref name="apiPath"/>, below <c>PathBase</c>) relative to the folder of the page at
    /// <paramref name="pagePath"/> (below <c>PathBase</c>, ending in <c>/</c>): <c>/jobs/</c> and <c>/api/jobs</c> give
    /// <c>../api/jobs</c>.
    /// </summary>
    public static string RelativeApiPath(string pagePath, string apiPath)
    {
        var ups = pagePath.Count(character => character == '/') - 1;
        var target = new PathString("/" + apiPath.Trim('/')).ToUriComponent()[1..];
        return string.Concat(Enumerable.Repeat("../", ups)) + (target.Length == 0 ? "." : target);
    }

    /// <summary>
    /// The relative URL that adds the missing <c>/</c> to the page's path <paramref name="pagePath"/>: <c>/ops/jobs</c>
    /// gives <c>jobs/</c>, so the page's relative URLs resolve under it.
    /// </summary>
    public static string WithTrailingSlash(string pagePath, QueryString query)
    {
        var last = pagePath[(pagePath.LastIndexOf('/') + 1)..];
        return new PathString("/" + last).ToUriComponent()[1..] + "/" + query.ToUriComponent();
    }
}
