using System.Collections.Frozen;
using System.Security.Cryptography;

namespace LongJobs.Server.Dashboard;

/// <summary>
/// The dashboard's page, script and style sheet, embedded in the assembly (<c>Dashboard/Assets</c>): nothing to build or
/// copy in the app, nothing fetched from elsewhere. Read once; each carries an <c>ETag</c> for revalidation.
/// </summary>
internal static class DashboardAssets
{
    /// <summary>The page's template; <see cref="DashboardPage"/> fills in its placeholders.</summary>
    public const string PageName = "index.html";

    private const string ResourcePrefix = "LongJobs.Server.Dashboard.Assets.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, DashboardAsset>> All = new(Load);

    /// <summary>The asset named <paramref name="name"/> (such as <c>dashboard.js</c>), or <see langword="null"/>.</summary>
    public static DashboardAsset? Find(string name) => All.Value.GetValueOrDefault(name);

    private static FrozenDictionary<string, DashboardAsset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8))}\"";
            assets[name] = new DashboardAsset(content, ContentTypes[Path.GetExtension(name)], etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <summary>One embedded file of the dashboard.</summary>
/// <param name="Content">Its bytes (UTF-8 text).</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="ETag">A strong entity tag of its content.</param>
internal sealed record DashboardAsset(byte[] Content, string ContentType, string ETag);
