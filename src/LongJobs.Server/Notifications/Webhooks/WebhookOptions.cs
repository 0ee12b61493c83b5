using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Settings of webhooks: where they may go, how they are signed and how often they are tried. Validated when the
/// host starts.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// The hosts a callback URL may point at; any other is refused with 400 when the job is started, and again
    /// before delivery. An entry is a host name (<c>hooks.example.com</c>), a wildcard for every subdomain of one at
    /// any depth but not the name itself (<c>*.example.com</c>), or an IP address (<c>127.0.0.1</c>,
    /// <c>[::1]</c>), which is the only way to allow a URL whose host is an IP address. An entry may end in
    /// <c>:port</c> to allow that port only; otherwise every port is allowed. Names compare case-insensitively,
    /// internationalised names in their ASCII (punycode) form.
    /// </summary>
    /// <value>The default value is empty; at least one entry is required.</value>
    public IList<string> AllowedHosts { get; } = new List<string>();

    /// <summary>
    /// Whether an allowed host name may resolve to a loopback, private or link-local address. Off by default, so an
    /// allowed name cannot be pointed (by DNS) inside the network; an IP address on <see cref="AllowedHosts"/> is
    /// always reachable, being allowed explicitly.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Whether callback URLs may use plain <c>http</c>, for development and loopback receivers; otherwise only <c>https</c> is allowed.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// The secret shared with receivers, which signs every webhook with HMAC-SHA256 (Standard Webhooks): <c>whsec_</c>
    /// followed by the base64 of 24 to 64 random bytes, or that base64 alone. Keep it out of source control.
    /// </summary>
    /// <value>There is no default; it is required.</value>
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>The most delivery attempts of one webhook, counting the first.</summary>
    /// <value>The default value is 5.</value>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The backoff before the first retry; it doubles for each later one, with random jitter.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest backoff between two attempts.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take until the receiver answers; then it counts as failed and is retried.</summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
