using System.Globalization;
using System.Net.Sockets;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Timeout;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// Emails a finished job's outcome to the address its start request named, through the SMTP server of
/// <see cref="EmailOptions"/>, one attempt per call: a new connection per attempt, bounded by
/// <see cref="EmailOptions.Timeout"/>. Connection failures, timeouts and 4xx answers may be tried again; 5xx answers
/// fail the delivery at once.
/// </summary>
internal sealed class EmailChannel : INotificationChannel
{
    private readonly EmailOptions _options;
    private readonly EmailRecipientRules _rules;
    private readonly MailboxAddress _from;
    private readonly SecureSocketOptions _security;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _timeout;

    public EmailChannel(IOptions<EmailOptions> options, TimeProvider time, ILogger<EmailChannel> logger)
    {
        _options = options.Value;
        _rules = new EmailRecipientRules(_options.AllowedRecipientDomains);
        _from = EmailRecipientRules.ParseAddress(_options.From)!;
        _from.Name = _options.FromName;
        _security = _options.Security switch
        {
            EmailSecurity.Auto => SecureSocketOptions.Auto,
            EmailSecurity.None => SecureSocketOptions.None,
            EmailSecurity.StartTls => SecureSocketOptions.StartTls,
            EmailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            _ => throw new ArgumentOutOfRangeException(nameof(options), _options.Security, "Unknown email security."),
        };
        _time = time;
        _logger = logger;
        _timeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.Timeout).Build();
        RetryDelays = _options.RetryDelays is { } delays ? [.. delays] : DeliverySchedules.StandardWebhooks;
    }

    public string Name => NotificationChannels.Email;

    public IReadOnlyList<TimeSpan> RetryDelays { get; }

    public bool IsRequested(JobNotifications notifications) => notifications.Email is not null;

    public string? Validate(JobNotifications notifications) => _rules.Check(notifications.Email);

    public async Task<DeliveryAttemptResult> SendAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);

        // Checked again here: another server sharing the store may have accepted the job under other rules.
        if (_rules.Check(job.Notifications?.Email, out var recipient) is { } problem)
        {
            return DeliveryAttemptResult.Failed(problem);
        }

        using var message = JobOutcomeEmail.Create(job, _from, recipient!, statusUrl, _time.GetUtcNow());
        try
        {
            await _timeout.ExecuteAsync(static (state, token) => state.Channel.SendOnceAsync(state.Message, token), (Channel: this, Message: message), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var transient = IsTransient(exception);
            EmailLog.EmailAttemptFailed(_logger, exception, job.Id, transient);
            return transient ? DeliveryAttemptResult.TryAgain(Describe(exception)) : DeliveryAttemptResult.Failed(Describe(exception));
        }

        return DeliveryAttemptResult.Delivered;
    }

    /// <summary>Whether another attempt may succeed: no connection, no answer in time, or a 4xx (transient) answer.</summary>
    internal static bool IsTransient(Exception exception) => exception switch
    {
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        SmtpProtocolException or ServiceNotConnectedException or TimeoutRejectedException or SocketException or IOException => true,
        _ => false,
    };

    private async ValueTask SendOnceAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        // MailKit's own timeout (real time, per read or write) backs up the attempt's timeout.
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        await client.ConnectAsync(_options.Host, _options.Port, _security, cancellationToken).ConfigureAwait(false);
        if (_options.UserName is { } userName)
        {
            await client.AuthenticateAsync(userName, _options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        await client.SendAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The server accepted the message: a failed goodbye must not send it twice.
        }
    }

    /// <summary>Why an attempt failed, as the job's state shows it: the SMTP server's answer, but no host names or stack traces.</summary>
    private string Describe(Exception exception) => exception switch
    {
        SmtpCommandException command => string.Create(CultureInfo.InvariantCulture, $"The SMTP server answered {(int)command.StatusCode}: {command.Message}"),
        TimeoutRejectedException => string.Create(CultureInfo.InvariantCulture, $"The SMTP server did not answer within {_options.Timeout.TotalSeconds:0.###} s."),
        SmtpProtocolException or ServiceNotConnectedException or SocketException or IOException => "The SMTP server could not be reached, or closed the connection.",
        AuthenticationException => "The SMTP server did not accept the configured credentials.",
        _ => "The email could not be sent; the server log has the details.",
    };
}
