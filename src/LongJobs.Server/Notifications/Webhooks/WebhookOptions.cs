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

    /// <summary>
    /// How long to wait after each failed attempt before the next (network errors, attempt timeouts, 408, 429 and 5xx
    /// are tried again; any other answer fails the delivery at once), with random jitter of up to a fifth either way;
    /// <see langword="null"/> for <see cref="DeliverySchedules.StandardWebhooks"/>, eight attempts over about 27 hours.
    /// An empty list makes one attempt.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="DeliverySchedules.StandardWebhooks"/>.</value>
    public IList<TimeSpan>? RetryDelays { get; set; }

    /// <summary>
    /// How long one attempt may take until the receiver answers; then it counts as failed and is tried again later. At
    /// most 2 minutes: well within the 10 minutes a server holds a job's notifications while it sends them.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
