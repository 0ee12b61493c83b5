using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongJobs.Client.Webhooks;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Webhooks;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ClientJobState = LongJobs.Client.Models.JobState;
using ClientJobStatus = LongJobs.Client.Models.JobStatus;

namespace LongJobs.Server.Tests.Notifications.Webhooks;

/// <summary>Webhooks of finished jobs, sent over real HTTP to a receiver on loopback, with backoff and timeouts on fake time.</summary>
public sealed class WebhookDeliveryTests
{
    private const int Delivered = 21;
    private const int AttemptFailed = 22;
    private const int GivenUp = 23;

    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAllowedHostNameThatResolvesToLoopback_IsRefusedWhenConnecting_UnlessPrivateNetworksAreAllowed(bool allowPrivateNetworks)
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.NoContent);
        await using var api = await WebhookTestApi.StartAsync(options =>
        {
            options.AllowedHosts.Add("localhost");
            options.AllowPrivateNetworks = allowPrivateNetworks;
        });
        var byName = new UriBuilder(receiver.Url) { Host = "localhost" }.Uri;
        var id = await api.StartGatedAsync("a", byName);

        api.Gates["a"].Release();

        if (allowPrivateNetworks)
        {
            await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Delivered);
            Assert.Single(receiver.Requests);
            return;
        }

        var refused = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Failed);
        Assert.Equal(1, refused.Attempts);
        Assert.Contains("resolves to the non-public address", refused.LastError, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("2606:4700:4700::1111", false)]
    public void NonPublicAddresses_AreTold(string address, bool nonPublic) =>
        Assert.Equal(nonPublic, PrivateNetworkGuard.IsNonPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task FinishedJob_PostsItsFinalStateOnce_SignedSoTheClientHelperVerifiesIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.NoContent);
        await using var api = await WebhookTestApi.StartAsync(configureLongJobs: options => options.PublicBaseUrl = "https://jobs.example.com");
        var id = await api.StartGatedAsync("a", receiver.Url, value: 21);

        api.Gates["a"].Release();
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Delivered);

        var webhook = Assert.Single(receiver.Requests);
        Assert.Equal("POST", webhook.Method);
        Assert.Equal("/hooks/jobs?token=t", webhook.PathAndQuery);
        Assert.Equal("application/json", webhook.Header("Content-Type"));
        Assert.Equal(id.ToString("D"), webhook.Header(WebhookSignature.IdHeader));
        Assert.Equal(api.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), webhook.Header(WebhookSignature.TimestampHeader));
        Assert.StartsWith("v1,", webhook.Header(WebhookSignature.SignatureHeader), StringComparison.Ordinal);
        Assert.True(WebhookSignature.Verify(api.SigningKey, webhook.Headers, webhook.Body, Tolerance, api.Time));

        var state = JsonSerializer.Deserialize<ClientJobState>(webhook.Body)!;
        Assert.Equal(id, state.Id);
        Assert.Equal(ClientJobStatus.Succeeded, state.Status);
        Assert.Equal(42, state.Result?.GetProperty("doubledValue").GetInt32());
        Assert.Equal($"https://jobs.example.com/api/jobs/{id}", state.StatusUrl);

        // The body is what GET /api/jobs/{id} answered when the job finished: no deliveries yet; the status URL absolute.
        using var response = await api.Client.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();
        var answered = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        answered["deliveries"] = null;
        answered["statusUrl"] = $"https://jobs.example.com/api/jobs/{id}";
        Assert.Equal(answered.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), Encoding.UTF8.GetString(webhook.Body));

        Assert.Equal(1, delivery.Attempts);
        Assert.Null(delivery.LastError);
        Assert.Equal(api.Time.GetUtcNow(), delivery.LastAttemptAt);
        Assert.Equal([Delivered], api.WebhookEventIds);
    }

    [Fact]
    public async Task ReceiverFailingTwice_GetsThreeAttemptsWithOneId_AndTheJobShowsDeliveredAfterThree()
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        await using var api = await WebhookTestApi.StartAsync();
        var id = await api.StartGatedAsync("a", receiver.Url);

        api.Gates["a"].Release();
        await api.WaitForBackoffAsync(retry: 1);
        AssertPending(await api.Store.GetAsync(id), attempts: 1, "The receiver answered 500 Internal Server Error.");
        api.Time.Advance(WebhookTestApi.MaxDelay);
        await api.WaitForBackoffAsync(retry: 2);
        AssertPending(await api.Store.GetAsync(id), attempts: 2, "The receiver answered 503 Service Unavailable.");
        api.Time.Advance(WebhookTestApi.MaxDelay);
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Delivered);

        Assert.Equal(3, delivery.Attempts);
        Assert.Null(delivery.LastError);
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(request => request.Header(WebhookSignature.IdHeader)).Distinct());
        Assert.Single(receiver.Requests.Select(request => Convert.ToBase64String(request.Body)).Distinct());
        Assert.Equal(3, receiver.Requests.Select(request => request.Header(WebhookSignature.TimestampHeader)).Distinct().Count());
        Assert.All(receiver.Requests, request => Assert.True(WebhookSignature.Verify(api.SigningKey, request.Headers, request.Body, Tolerance, api.Time)));
        Assert.Equal([AttemptFailed, AttemptFailed, Delivered], api.WebhookEventIds);

        var shown = await api.Client.GetFromJsonAsync<ClientJobState>(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();
        var shownDelivery = Assert.Single(shown!.Deliveries!);
        Assert.Equal(("webhook", LongJobs.Client.Models.NotificationDeliveryStatus.Delivered, 3), (shownDelivery.Channel, shownDelivery.Status, shownDelivery.Attempts));
    }

    [Fact]
    public async Task ReceiverAlwaysFailing_IsGivenUpAfterItsLastAttempt_AndTheJobStillSucceeded()
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.BadGateway);
        await using var api = await WebhookTestApi.StartAsync(options => options.RetryDelays = WebhookTestApi.Retries(2));
        var id = await api.StartGatedAsync("a", receiver.Url);

        api.Gates["a"].Release();
        await api.WaitForBackoffAsync(retry: 1);
        api.Time.Advance(WebhookTestApi.MaxDelay);
        await api.WaitForBackoffAsync(retry: 2);
        api.Time.Advance(WebhookTestApi.MaxDelay);
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Failed);

        Assert.Equal(3, delivery.Attempts);
        Assert.Equal("The receiver answered 502 Bad Gateway.", delivery.LastError);
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Equal([AttemptFailed, AttemptFailed, GivenUp], api.WebhookEventIds);

        var job = await GetJobAsync(api, id);
        Assert.Equal("Succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal("Failed", job.GetProperty("deliveries")[0].GetProperty("status").GetString());

        // The server still serves, and still runs jobs.
        using var next = await api.PostGatedAsync("b", receiver.Url.AbsoluteUri);
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "The receiver answered 404 Not Found.")]
    [InlineData(HttpStatusCode.Unauthorized, "The receiver answered 401 Unauthorized.")]
    [InlineData(HttpStatusCode.Found, "The receiver answered 302 Found. Redirects are not followed.")]
    public async Task ReceiverAnsweringAClientErrorOrARedirect_FailsAtOnce_WithoutRetryingOrFollowing(HttpStatusCode status, string error)
    {
        await using var receiver = await WebhookReceiver.StartAsync((context, number) =>
        {
            context.Response.StatusCode = number == 1 ? (int)status : StatusCodes.Status200OK;
            context.Response.Headers.Location = "/followed";
            return Task.CompletedTask;
        });
        await using var api = await WebhookTestApi.StartAsync();
        var id = await api.StartGatedAsync("a", receiver.Url);

        api.Gates["a"].Release();
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Failed);

        Assert.Equal(1, delivery.Attempts);
        Assert.Equal(error, delivery.LastError);
        Assert.Equal("/hooks/jobs?token=t", Assert.Single(receiver.Requests).PathAndQuery);
        Assert.Equal([GivenUp], api.WebhookEventIds);
    }

    [Fact]
    public async Task ReceiverThatHangs_IsCutOffAfterTheAttemptTimeout_AndRetried()
    {
        var cutOff = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await WebhookReceiver.StartAsync(async (context, _) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cutOff.TrySetResult();
            }
        });
        await using var api = await WebhookTestApi.StartAsync(options => options.RetryDelays = WebhookTestApi.Retries(1));
        var id = await api.StartGatedAsync("a", receiver.Url);

        api.Gates["a"].Release();
        // An attempt's timeout is armed before its request is sent: once the request is in, advancing fires it.
        await receiver.WaitForRequestAsync(1);
        api.Time.Advance(WebhookTestApi.AttemptTimeout);
        await cutOff.Task.WithSafetyTimeout();
        await api.WaitForBackoffAsync(retry: 1);
        AssertPending(await api.Store.GetAsync(id), attempts: 1, "The receiver did not answer within 30 s.");
        api.Time.Advance(WebhookTestApi.MaxDelay);
        await receiver.WaitForRequestAsync(2);
        api.Time.Advance(WebhookTestApi.AttemptTimeout);
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Failed);

        Assert.Equal(2, delivery.Attempts);
        Assert.Equal("The receiver did not answer within 30 s.", delivery.LastError);
        Assert.Equal([AttemptFailed, GivenUp], api.WebhookEventIds);
    }

    [Fact]
    public async Task ReceiverThatCannotBeReached_IsRetried_ThenGivenUpWithTheNetworkError()
    {
        // A port that was just free: nothing listens on it any more.
        var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.OK);
        var url = receiver.Url;
        await receiver.DisposeAsync();
        await using var api = await WebhookTestApi.StartAsync(options => options.RetryDelays = WebhookTestApi.Retries(1));
        var id = await api.StartGatedAsync("a", url);

        api.Gates["a"].Release();
        await api.WaitForBackoffAsync(retry: 1);
        api.Time.Advance(WebhookTestApi.MaxDelay);
        var delivery = await api.WaitForWebhookAsync(id, NotificationDeliveryStatus.Failed);

        Assert.Equal(2, delivery.Attempts);
        Assert.Contains("refused", delivery.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal([AttemptFailed, GivenUp], api.WebhookEventIds);
    }

    [Fact]
    public async Task JobWhoseCallbackHostIsNoLongerAllowed_IsNotSent_AndTheAttemptSaysWhy()
    {
        await using var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.OK);
        await using var api = await WebhookTestApi.StartAsync(options => options.AllowedHosts[0] = "hooks.example.com");
        var channel = api.App.Services.GetServices<INotificationChannel>().OfType<WebhookChannel>().Single();

        // Started where the allow-list still had 127.0.0.1, such as another server sharing the store.
        var job = new JobRecord
        {
            Id = Guid.NewGuid(),
            Kind = "elsewhere",
            CreatedAt = api.Time.GetUtcNow(),
            Notifications = new JobNotifications { CallbackUrl = receiver.Url.AbsoluteUri },
        };
        var result = await channel.SendAsync(job, $"/api/jobs/{job.Id}", CancellationToken.None).WithSafetyTimeout();

        Assert.Equal(DeliveryAttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"The host '{receiver.Url.Authority}' may not receive webhooks from this server.", result.Error);
        Assert.Empty(receiver.Requests);
    }

    private static void AssertPending(JobRecord? job, int attempts, string error)
    {
        var delivery = Assert.Single(job!.Deliveries);
        Assert.Equal((NotificationChannels.Webhook, NotificationDeliveryStatus.Pending, attempts, error), (delivery.Channel, delivery.Status, delivery.Attempts, delivery.LastError));
    }

    private static async Task<JsonElement> GetJobAsync(WebhookTestApi api, Guid id)
    {
        using var response = await api.Client.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestApi.ReadJsonAsync(response);
    }
}
