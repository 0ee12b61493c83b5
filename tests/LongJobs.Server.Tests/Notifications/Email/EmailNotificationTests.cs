using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Email;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpServer.Protocol;

namespace LongJobs.Server.Tests.Notifications.Email;

/// <summary>Email notifications end to end: the API, the scheduler and a real SMTP server on a local port.</summary>
public sealed class EmailNotificationTests
{
    private const string PublicBaseUrl = "https://jobs.example.test";
    private const string NotifyEmailHeader = "LongJobs-Notify-Email";
    /// <summary>The delivery log's events for an attempt that failed and will be made again, and for a delivery given up.</summary>
    private const int AttemptFailedEvent = 22;
    private const int GivenUpEvent = 23;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(3);

    /// <summary>The longest a wait for the next attempt lasts: <see cref="RetryDelay"/> with the most jitter.</summary>
    private static readonly TimeSpan MaxDelay = RetryDelay * 1.2;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task SucceededJob_EmailsTheRecipient_WithSubjectAndStatusLink_AndTheDeliveryShowsDelivered()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var api = await StartApiAsync(smtp.Port);

        var id = await StartGatedWithEmailAsync(api, "a", "someone@allowed.test");
        api.Gates["a"].Release();
        var message = await smtp.NextMessageAsync();

        Assert.Equal("someone@allowed.test", Assert.Single(message.To.Mailboxes).Address);
        var from = Assert.Single(message.From.Mailboxes);
        Assert.Equal("jobs@sender.test", from.Address);
        Assert.Equal("LongJobs tests", from.Name);
        Assert.Equal($"Job gated {ShortId(id)} succeeded", message.Subject);
        Assert.Contains($"{PublicBaseUrl}/api/jobs/{id}", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"ID:       {id}", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Outcome:  Succeeded", message.TextBody, StringComparison.Ordinal);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);

        var delivery = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Delivered);
        Assert.Equal(1, delivery.Attempts);
        Assert.Null(delivery.LastError);
        var state = await api.WaitUntilFinishedAsync(id);
        var shown = Assert.Single(state.GetProperty("deliveries").EnumerateArray());
        Assert.Equal("email", shown.GetProperty("channel").GetString());
        Assert.Equal("Delivered", shown.GetProperty("status").GetString());
        Assert.False(smtp.HasUnreadMessages);
    }

    [Fact]
    public async Task FailedJob_EmailSaysFailed_WithTheErrorTitle_AndNoExceptionDetails()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var api = await StartApiAsync(smtp.Port);

        using var response = await PostWithEmailAsync(api, "failing", "{}", "someone@allowed.test");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
        var message = await smtp.NextMessageAsync();

        Assert.Equal($"Job failing {ShortId(id)} failed", message.Subject);
        Assert.Contains("Outcome:  Failed", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Error:    The job failed.", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"{PublicBaseUrl}/api/jobs/{id}", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(FailingJob.SecretMessage, message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", message.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-an-address", "not a valid email address")]
    [InlineData("someone@elsewhere.test", "does not send email to addresses at 'elsewhere.test'")]
    [InlineData("someone@allowed.test.evil.test", "does not send email to addresses at 'allowed.test.evil.test'")]
    [InlineData("someone@allowed.test, other@allowed.test", "exactly one email address")]
    [InlineData("Some One <someone@allowed.test>", "without a display name")]
    [InlineData("team: someone@allowed.test;", "exactly one email address")]
    [InlineData("a@allowed.test\r\nBcc: x@elsewhere.test", "line breaks")]
    public async Task Start_WithAnAddressThatCannotBeEmailed_Returns400NamingTheProblem_AndCreatesNoJob(string address, string expected)
    {
        await using var api = await StartApiAsync(TestSmtpServer.UnusedPort());

        using var response = await PostWithEmailAsync(api, "gated", """{"gateKey":"a"}""", address);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        var error = Assert.Single(problem.GetProperty("errors").GetProperty("LongJobs-Notify-Email").EnumerateArray()).GetString();
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("corp.test", error, StringComparison.Ordinal);
        Assert.Empty((await api.Store.ListAsync(new())).Items);
    }

    [Fact]
    public async Task Start_WithTheEmailHeaderTwice_Returns400_AndCreatesNoJob()
    {
        await using var api = await StartApiAsync(TestSmtpServer.UnusedPort());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/gated", UriKind.Relative)) { Content = TestApi.Json("""{"gateKey":"a"}""") };
        request.Headers.Add("LongJobs-Notify-Email", ["someone@allowed.test", "other@allowed.test"]);

        using var response = await api.Client.SendAsync(request).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty((await api.Store.ListAsync(new())).Items);
    }

    [Fact]
    public async Task Start_ToASubdomainOfAWildcardEntry_InAnotherCase_IsAccepted()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var api = await StartApiAsync(smtp.Port);

        await StartGatedWithEmailAsync(api, "a", "Someone@Mail.Corp.TEST");
        api.Gates["a"].Release();

        Assert.Equal("Someone@Mail.Corp.TEST", Assert.Single((await smtp.NextMessageAsync()).To.Mailboxes).Address);
    }

    [Fact]
    public async Task SmtpDown_IsRetriedWithBackoff_ThenGivenUpAndLogged_AndTheJobStillSucceeded_AndTheServerKeepsServing()
    {
        var logs = new RecordedLogs();
        await using var api = await StartApiAsync(TestSmtpServer.UnusedPort(), logs: logs);

        var id = await StartGatedWithEmailAsync(api, "a", "someone@allowed.test");
        api.Gates["a"].Release();
        for (var retry = 1; retry <= 2; retry++)
        {
            await api.Time.WaitForTimerAsync(IsBackoff, retry);
            var pending = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Pending, attempts: retry);
            Assert.Equal("The SMTP server could not be reached, or closed the connection.", pending.LastError);
            api.Time.Advance(MaxDelay);
        }

        var failed = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Failed);
        Assert.Equal(3, failed.Attempts);
        Assert.Equal("The SMTP server could not be reached, or closed the connection.", failed.LastError);
        var state = await api.WaitUntilFinishedAsync(id);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(2, logs.Entries.Count(entry => entry is { EventId: AttemptFailedEvent, Level: LogLevel.Warning }));
        var givenUp = Assert.Single(logs.Entries, entry => entry.EventId == GivenUpEvent);
        Assert.Equal(LogLevel.Error, givenUp.Level);
        Assert.Contains(id.ToString(), givenUp.Message, StringComparison.Ordinal);

        var next = await api.StartGatedAsync("b");
        api.Gates["b"].Release();
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(next)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task TransientSmtpAnswer_IsRetried_AndTheNextAttemptDelivers()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.AnswerNextMessagesWith(new SmtpResponse(SmtpReplyCode.ServiceUnavailable, "try again later"));
        await using var api = await StartApiAsync(smtp.Port);

        var id = await StartGatedWithEmailAsync(api, "a", "someone@allowed.test");
        api.Gates["a"].Release();
        await api.Time.WaitForTimerAsync(IsBackoff);
        var pending = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Pending, attempts: 1);
        Assert.StartsWith("The SMTP server answered 421", pending.LastError, StringComparison.Ordinal);
        api.Time.Advance(MaxDelay);

        Assert.Equal("someone@allowed.test", Assert.Single((await smtp.NextMessageAsync()).To.Mailboxes).Address);
        var delivered = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Delivered);
        Assert.Equal(2, delivered.Attempts);
        Assert.Null(delivered.LastError);
    }

    [Fact]
    public async Task MailboxUnavailable550_FailsAtOnce_WithoutRetrying()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.RefuseRecipients = true;
        var logs = new RecordedLogs();
        await using var api = await StartApiAsync(smtp.Port, logs: logs);

        var id = await StartGatedWithEmailAsync(api, "a", "someone@allowed.test");
        api.Gates["a"].Release();

        var failed = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Failed);
        Assert.Equal(1, failed.Attempts);
        Assert.StartsWith("The SMTP server answered 550", failed.LastError, StringComparison.Ordinal);
        Assert.Equal(1, smtp.RecipientChecks);
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId == AttemptFailedEvent);
        Assert.Single(logs.Entries, entry => entry.EventId == GivenUpEvent);
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnAttemptTheServerNeverAnswers_TimesOut_AndIsRetried()
    {
        // Takes connections but never greets: each attempt waits until its timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var api = await StartApiAsync(((IPEndPoint)silent.LocalEndpoint).Port, email => email.RetryDelays = [RetryDelay]);

        var id = await StartGatedWithEmailAsync(api, "a", "someone@allowed.test");
        api.Gates["a"].Release();
        // The attempt's timeout is armed before it connects.
        using (await silent.AcceptTcpClientAsync().WithSafetyTimeout())
        {
            api.Time.Advance(AttemptTimeout);
            await api.Time.WaitForTimerAsync(IsBackoff);
        }

        var pending = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Pending, attempts: 1);
        Assert.Equal("The SMTP server did not answer within 45 s.", pending.LastError);
        api.Time.Advance(MaxDelay);
        using (await silent.AcceptTcpClientAsync().WithSafetyTimeout())
        {
            api.Time.Advance(AttemptTimeout);
            var failed = await WaitForEmailDeliveryAsync(api, id, NotificationDeliveryStatus.Failed);
            Assert.Equal(2, failed.Attempts);
            Assert.Equal("The SMTP server did not answer within 45 s.", failed.LastError);
        }
    }

    private static string ShortId(Guid id) => id.ToString("N")[..8];

    private static bool IsBackoff(TimeSpan due) => due > TimeSpan.Zero && due <= MaxDelay;

    private static Task<TestApi> StartApiAsync(int smtpPort, Action<EmailOptions>? configure = null, RecordedLogs? logs = null) =>
        TestApi.StartAsync(
            options =>
            {
                options.PublicBaseUrl = PublicBaseUrl;

                // Longer than any wait for the next attempt: the outbox's only timers are those waits.
                options.QueuePollInterval = TimeSpan.FromMinutes(10);
            },
            logs: logs,
            addJobs: jobs =>
            {
                jobs.AddEmail(email =>
                {
                    email.Host = "127.0.0.1";
                    email.Port = smtpPort;
                    email.Security = EmailSecurity.None;
                    email.From = "jobs@sender.test";
                    email.FromName = "LongJobs tests";
                    email.AllowedRecipientDomains.Add("allowed.test");
                    email.AllowedRecipientDomains.Add("*.corp.test");
                    email.RetryDelays = [RetryDelay, RetryDelay];
                    email.Timeout = AttemptTimeout;
                    configure?.Invoke(email);
                });
            });

    private static Task<HttpResponseMessage> PostWithEmailAsync(TestApi api, string kind, string json, string address) =>
        api.PostAsync(kind, json, (NotifyEmailHeader, address));

    private static Task<Guid> StartGatedWithEmailAsync(TestApi api, string gateKey, string address) =>
        api.StartGatedAsync(gateKey, header: (NotifyEmailHeader, address));

    private static Task<NotificationDelivery> WaitForEmailDeliveryAsync(TestApi api, Guid id, NotificationDeliveryStatus status, int? attempts = null) =>
        api.WaitForDeliveryAsync(id, NotificationChannels.Email, status, attempts);
}
