using System.Buffers;
using System.Net;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Decides which callback URLs webhooks may go to, so a caller cannot make the server send requests to internal
/// addresses: absolute <c>https</c> URLs (<c>http</c> too with <see cref="WebhookOptions.AllowHttp"/>), without user
/// information, at most <see cref="MaxUrlLength"/> characters, whose host is on <see cref="WebhookOptions.AllowedHosts"/>.
/// </summary>
internal sealed class CallbackUrlPolicy
{
    /// <summary>The longest callback URL accepted, in characters.</summary>
    public const int MaxUrlLength = 2048;

    private readonly AllowedHost[] _hosts;
    private readonly bool _allowHttp;

    /// <summary>Reads the policy from validated <paramref name="options"/>.</summary>
    public CallbackUrlPolicy(WebhookOptions options)
    {
        _allowHttp = options.AllowHttp;
        _hosts = [.. options.AllowedHosts.Select(entry => AllowedHost.TryParse(entry, out var host)
            ? host
            : throw new ArgumentException($"The allowed host '{entry}' is not valid.", nameof(options)))];
    }

    /// <summary>Checks a callback URL.</summary>
    /// <param name="url">The URL as the caller sent it.</param>
    /// <param name="uri">The parsed URL when it is allowed.</param>
    /// <returns>Why the URL is refused, for a 400 problem; <see langword="null"/> when it is allowed.</returns>
    public string? Check(string url, out Uri? uri)
    {
        uri = null;
        if (url.Length > MaxUrlLength)
        {
            return $"The callback URL may have at most {MaxUrlLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            return "The callback URL must be an absolute http or https URL.";
        }

        if (parsed.Scheme == Uri.UriSchemeHttp && !_allowHttp)
        {
            return "The callback URL must use https.";
        }

        if (parsed.UserInfo.Length > 0)
        {
            return "The callback URL must not contain user information.";
        }

        if (!_hosts.Any(host => host.Allows(parsed)))
        {
            return $"The host '{parsed.Authority}' may not receive webhooks from this server.";
        }

        uri = parsed;
        return null;
    }
}

/// <summary>One entry of <see cref="WebhookOptions.AllowedHosts"/>: a host name, a <c>*.</c> wildcard or an IP address, with an optional port.</summary>
internal readonly record struct AllowedHost(string? Name, bool IsWildcard, IPAddress? Address, int? Port)
{
    /// <summary>Characters that make an entry more than a host and a port.</summary>
    private static readonly SearchValues<char> NotInHost = SearchValues.Create("/?#@*\\");

    /// <summary>Parses an entry such as <c>hooks.example.com</c>, <c>*.example.com:8443</c>, <c>127.0.0.1</c> or <c>[::1]:5000</c>.</summary>
    public static bool TryParse(string? entry, out AllowedHost host)
    {
        host = default;
        var text = entry?.Trim() ?? string.Empty;
        var isWildcard = text.StartsWith("*.", StringComparison.Ordinal);
        if (isWildcard)
        {
            text = text[2..];
        }

        if (text.Length == 0
            || text.AsSpan().ContainsAny(NotInHost)
            || !Uri.TryCreate($"http://{text}/", UriKind.Absolute, out var uri))
        {
            return false;
        }

        var hasPort = uri.HostNameType == UriHostNameType.IPv6 ? text.Contains("]:", StringComparison.Ordinal) : text.Contains(':', StringComparison.Ordinal);
        int? port = hasPort ? uri.Port : null;
        switch (uri.HostNameType)
        {
            case UriHostNameType.Dns:
                host = new AllowedHost(NameOf(uri), isWildcard, null, port);
                return true;
            case UriHostNameType.IPv4 or UriHostNameType.IPv6 when !isWildcard:
                host = new AllowedHost(null, false, IPAddress.Parse(uri.DnsSafeHost), port);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether <paramref name="uri"/>'s host and port match this entry. An IP address matches only an IP entry.</summary>
    public bool Allows(Uri uri)
    {
        if (Port is { } port && port != uri.Port)
        {
            return false;
        }

        return uri.HostNameType switch
        {
            UriHostNameType.Dns => Name is { } name && NameOf(uri) is var host
                && (IsWildcard ? host.EndsWith("." + name, StringComparison.Ordinal) : host == name),
            UriHostNameType.IPv4 or UriHostNameType.IPv6 => Address is { } address
                && IPAddress.TryParse(uri.DnsSafeHost, out var hostAddress) && address.Equals(hostAddress),
            _ => false,
        };
    }

    /// <summary>A host name in one form: ASCII (punycode), lowercase, without the root's trailing dot.</summary>
    private static string NameOf(Uri uri) => uri.IdnHost.ToLowerInvariant().TrimEnd('.');
}
