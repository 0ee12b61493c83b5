using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>Webhooks on the PostgreSQL store: the node that finishes a job sends it, and its delivery is stored for every node to show.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class WebhookTests(PostgreSqlServer server)
{

    [Fact]
    public async Task JobFinished_IsPostedToItsCallbackUrl_AndTheDeliveryShowsOnAnotherNode()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var received = new TaskCompletionSource<(string? Id, JsonElement Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await StartReceiverAsync(async context =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            received.TrySetResult((context.Request.Headers["webhook-id"], body));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        await using var sender = await TestNode.StartAsync(connectionString, longJobs => longJobs
            .AddJob<EchoJob, EchoRequest, EchoResult>("echo")
            .AddWebhooks(webhooks =>
            {
                webhooks.AllowedHosts.Add("127.0.0.1");
                webhooks.AllowHttp = true;
                webhooks.SigningKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            }));
        // Without the kind, so only the sender can run the job (the node that finishes a job sends its webhook).
        await using var reader = await TestNode.StartAsync(connectionString, _ => { });

        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/echo") { Content = JsonContent.Create(new EchoRequest { Text = "hello" }) };
        start.Headers.Add("LongJobs-Callback-Url", receiver.Urls.Single() + "/hooks/jobs");
        using var started = await sender.GetTestClient().SendAsync(start).WaitAsync(SafetyTimeout.Value);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var (webhookId, body) = await received.Task.WaitAsync(SafetyTimeout.Value);
        Assert.Equal(id.ToString("D"), webhookId);
        Assert.Equal("Succeeded", body.GetProperty("status").GetString());
        Assert.Equal("hello", body.GetProperty("result").GetProperty("text").GetString());

        var delivery = await WaitForDeliveredAsync(sender.Services.GetRequiredService<IJobStore>(), id);
        Assert.Equal(1, delivery.Attempts);
        var shown = await reader.GetTestClient().GetFromJsonAsync<JsonElement>($"/api/jobs/{id}").WaitAsync(SafetyTimeout.Value);
        var shownDelivery = Assert.Single(shown.GetProperty("deliveries").EnumerateArray().ToArray());
        Assert.Equal("webhook", shownDelivery.GetProperty("channel").GetString());
        Assert.Equal("Delivered", shownDelivery.GetProperty("status").GetString());
    }

    private static async Task<NotificationDelivery> WaitForDeliveredAsync(IJobStore store, Guid id)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        var job = await store.GetAsync(id, timeout.Token) ?? throw new InvalidOperationException($"Job {id} is not stored.");
        while (true)
        {
            if (job.Deliveries.SingleOrDefault(delivery => delivery.Status == NotificationDeliveryStatus.Delivered) is { } delivered)
            {
                return delivered;
            }

            job = await store.WaitForChangeAsync(id, job.Version, timeout.Token) ?? throw new InvalidOperationException($"Job {id} was removed.");
        }
    }

    /// <summary>A real HTTP receiver on 127.0.0.1 with a port of its own.</summary>
    private static async Task<WebApplication> StartReceiverAsync(RequestDelegate receive)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(receive);
        await app.StartAsync();
        return app;
    }

    public sealed record EchoRequest
    {
        public required string Text { get; init; }
    }

    public sealed record EchoResult(string Text);

    public sealed class EchoJob : IJobHandler<EchoRequest, EchoResult>
    {
        public Task<EchoResult> ExecuteAsync(EchoRequest request, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new EchoResult(request.Text));
    }
}
