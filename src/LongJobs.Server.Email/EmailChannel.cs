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
using Polly.Retry;
using Polly.Timeout;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// Emails a finished job's outcome to the address its start request named, through the SMTP server of
/// <see cref="EmailOptions"/>: a new connection per attempt, each attempt bounded by <see cref="EmailOptions.Timeout"/>;
/// connection failures, timeouts and 4xx answers are retried with exponential backoff and jitter, 5xx answers fail at once.
/// </summary>
internal sealed class EmailChannel : INotificationChannel
{
    private static readonly ResiliencePropertyKey<EmailDelivery> DeliveryKey = new("LongJobs.EmailDelivery");

    private readonly EmailOptions _options;
    private readonly EmailRecipientRules _rules;
    private readonly MailboxAddress _from;
    private readonly SecureSocketOptions _security;
    private readonly IJobDeliveryLog _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;

    public EmailChannel(IOptions<EmailOptions> options, IJobDeliveryLog store, TimeProvider time, ILogger<EmailChannel> logger)
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
        _store = store;
        _time = time;
        _logger = logger;
        _pipeline = BuildPipeline();
    }

    public string Name => NotificationChannels.Email;

    public bool IsRequested(JobNotifications notifications) => notifications.Email is not null;

    public string? Validate(JobNotifications notifications) => _rules.Check(notifications.Email);

    public async Task DeliverAsync(JobRecord job, string statusUrl, CancellationToken cancellationToken)
    {
        // Checked again here: another server sharing the store may have accepted the job under other rules.
        if (_rules.Check(job.Notifications?.Email, out var recipient) is { } problem)
        {
            await GiveUpAsync(new EmailDelivery(job, message: null), problem, exception: null, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var message = JobOutcomeEmail.Create(job, _from, recipient!, statusUrl, _time.GetUtcNow());
        var delivery = new EmailDelivery(job, message);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(DeliveryKey, delivery);
        try
        {
            await _pipeline.ExecuteAsync(
                static (context, state) => state.Channel.SendOnceAsync(state.Delivery, context.CancellationToken),
                context,
                (Channel: this, Delivery: delivery)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await GiveUpAsync(delivery, Describe(exception), exception, cancellationToken).ConfigureAwait(false);
            return;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        EmailLog.EmailSent(_logger, job.Id, delivery.Attempts);
        await RecordAsync(delivery, NotificationDeliveryStatus.Delivered, lastError: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether another attempt may succeed: no connection, no answer in time, or a 4xx (transient) answer.</summary>
    internal static bool IsTransient(Exception exception) => exception switch
    {
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        SmtpProtocolException or ServiceNotConnectedException or TimeoutRejectedException or SocketException or IOException => true,
        _ => false,
    };

    private async ValueTask SendOnceAsync(EmailDelivery delivery, CancellationToken cancellationToken)
    {
        delivery.Attempts++;
        delivery.LastAttemptAt = _time.GetUtcNow();
        // MailKit's own timeout (real time, per read or write) backs up the attempt's timeout.
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        await client.ConnectAsync(_options.Host, _options.Port, _security, cancellationToken).ConfigureAwait(false);
        if (_options.UserName is { } userName)
        {
            await client.AuthenticateAsync(userName, _options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        await client.SendAsync(delivery.Message!, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The server accepted the message: a failed goodbye must not send it twice.
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.Delay,
                MaxDelay = _options.MaxDelay,
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception && IsTransient(exception)),
                OnRetry = arguments =>
                {
                    var delivery = arguments.Context.Properties.GetValue(DeliveryKey, null!);
                    var exception = arguments.Outcome.Exception!;
                    EmailLog.EmailAttemptFailed(_logger, exception, delivery.Job.Id, delivery.Attempts, _options.MaxAttempts, arguments.RetryDelay);
                    return RecordAsync(delivery, NotificationDeliveryStatus.Pending, Describe(exception), arguments.Context.CancellationToken);
                },
            });
        }

        return builder.AddTimeout(_options.Timeout).Build();
    }

    private async ValueTask GiveUpAsync(EmailDelivery delivery, string reason, Exception? exception, CancellationToken cancellationToken)
    {
        EmailLog.EmailGivenUp(_logger, exception, delivery.Job.Id, delivery.Attempts, reason);
        await RecordAsync(delivery, NotificationDeliveryStatus.Failed, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records the delivery's state; a store that cannot record it is logged and does not stop delivery.</summary>
    private async ValueTask RecordAsync(EmailDelivery delivery, NotificationDeliveryStatus status, string? lastError, CancellationToken cancellationToken)
    {
        try
        {
            await _store.RecordDeliveryAsync(
                delivery.Job.Id,
                new NotificationDelivery
                {
                    Channel = Name,
                    Status = status,
                    Attempts = delivery.Attempts,
                    LastAttemptAt = delivery.LastAttemptAt,
                    LastError = lastError,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            EmailLog.EmailDeliveryNotRecorded(_logger, exception, delivery.Job.Id);
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

    /// <summary>One job's email on its way: the attempts so far.</summary>
    private sealed class EmailDelivery(JobRecord job, MimeMessage? message)
    {
        public JobRecord Job { get; } = job;

        public MimeMessage? Message { get; } = message;

        public int Attempts { get; set; }

        public DateTimeOffset? LastAttemptAt { get; set; }
    }
}
