using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// How LongJobs sends the email a job asks for with the <c>LongJobs-Notify-Email</c> header: the SMTP server, the
/// sender, who may receive it, and how delivery is retried. Validated when the host starts.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The SMTP server's host name or IP address.</summary>
    [Required]
    public string Host { get; set; } = string.Empty;

    /// <summary>The SMTP server's port.</summary>
    /// <value>The default value is 587 (message submission).</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>Whether and how the connection to the SMTP server is encrypted.</summary>
    /// <value>The default value is <see cref="EmailSecurity.StartTls"/>.</value>
    [EnumDataType(typeof(EmailSecurity))]
    public EmailSecurity Security { get; set; } = EmailSecurity.StartTls;

    /// <summary>The user name to authenticate with, or <see langword="null"/> to send without authenticating.</summary>
    public string? UserName { get; set; }

    /// <summary>The password that goes with <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>The sender's address, such as <c>jobs@example.com</c>.</summary>
    [Required]
    public string From { get; set; } = string.Empty;

    /// <summary>The sender's display name, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <c>LongJobs</c>.</value>
    public string? FromName { get; set; } = "LongJobs";

    /// <summary>
    /// The domains a job may ask to email: exact domains (<c>example.com</c>) and subdomain wildcards
    /// (<c>*.example.com</c>, which matches <c>mail.example.com</c> but not <c>example.com</c> itself), compared
    /// case-insensitively, internationalised names in either form. At least one is required, so the server cannot be
    /// used to send mail anywhere; there is no entry that allows every domain.
    /// </summary>
    public IList<string> AllowedRecipientDomains { get; } = [];

    /// <summary>
    /// How long to wait after each failed attempt before the next (connection failures, timeouts and 4xx answers are
    /// tried again; 5xx answers fail the delivery at once), with random jitter of up to a fifth either way;
    /// <see langword="null"/> for <see cref="DeliverySchedules.StandardWebhooks"/>, eight attempts over about 27 hours.
    /// An empty list makes one attempt.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="DeliverySchedules.StandardWebhooks"/>.</value>
    public IList<TimeSpan>? RetryDelays { get; set; }

    /// <summary>
    /// How long one attempt (connect, authenticate, send) may take before it is abandoned and counts as failed. At most
    /// 2 minutes: well within the 10 minutes a server holds a job's notifications while it sends them.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Whether and how the connection to the SMTP server is encrypted.</summary>
public enum EmailSecurity
{
    /// <summary>TLS from the start on port 465, else STARTTLS when the server offers it.</summary>
    Auto,

    /// <summary>No encryption: only for a server on the same host or a trusted network.</summary>
    None,

    /// <summary>Plain connection upgraded with STARTTLS; fails when the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the start (implicit TLS, usually port 465).</summary>
    SslOnConnect,
}
