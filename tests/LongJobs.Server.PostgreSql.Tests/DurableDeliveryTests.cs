using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// Notifications outlive the node that finished the job (issue 13): what is still to deliver waits in the database's
/// outbox, and any node delivers it, as the same webhook (one <c>webhook-id</c>, one body) that receivers can drop
/// repeats of.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class DurableDeliveryTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly string _signingKey = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _database = string.Empty;

    public async Task InitializeAsync() => _database = await server.CreateDatabaseAsync();

    [Fact]
    public async Task AWebhookWhoseReceiverWasDown_WhenTheNodeThatFinishedTheJobStopped_IsDeliveredByAnotherNode_AsTheSameWebhook()
    {
        // The receiver is down (503) until the test says it is back.
        var back = false;
        var receiver = await WebhookReceiver.StartAsync((context, _) =>
        {
            context.Response.StatusCode = Volatile.Read(ref back) ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        _disposables.Add(receiver);

        // Node A finishes the job; its first attempt fails, and A stops before the next one is due.
        var nodeA = await StartNodeAsync(retryDelays: [TimeSpan.FromMinutes(10)]);
        var id = await StartJobAsync(nodeA, receiver.Url);
        var pending = await WaitForWebhookAsync(nodeA, id, delivery => delivery is { Status: NotificationDeliveryStatus.Pending, Attempts: 1 });
        Assert.Equal("The receiver answered 503 Service Unavailable.", pending.LastError);
        await nodeA.StopAsync();
        await nodeA.DisposeAsync();
        _disposables.Remove(nodeA);

        // The receiver comes back; node B, which never ran the job, makes the next attempt when it is due.
        Volatile.Write(ref back, true);
        await ScheduleNextAttemptNowAsync(id);
        var nodeB = await StartNodeAsync(retryDelays: [RetryDelay]);
        var delivered = await WaitForWebhookAsync(nodeB, id, delivery => delivery.Status == NotificationDeliveryStatus.Delivered);

        Assert.Equal(2, delivered.Attempts);
        Assert.Null(delivered.LastError);
        Assert.Equal(2, receiver.Requests.Count);
        Assert.Equal([id.ToString("D")], receiver.Requests.Select(request => request.Header("webhook-id")).Distinct());
        Assert.Single(receiver.Requests.Select(request => Convert.ToBase64String(request.Body)).Distinct());
    }

    [Fact]
    public async Task AWebhookDue_WhileNoNodeRuns_IsDeliveredByTheFirstNodeToStart_OnceEvenWithTwoNodes()
    {
        var receiver = await WebhookReceiver.StartAsync(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        _disposables.Add(receiver);
        var nodeA = await StartNodeAsync(retryDelays: [RetryDelay]);
        var nodeB = await StartNodeAsync(retryDelays: [RetryDelay]);

        // Both nodes look for due notifications; the attempt after the failed one is made once, by either.
        var id = await StartJobAsync(nodeA, receiver.Url);
        var delivered = await WaitForWebhookAsync(nodeB, id, delivery => delivery.Status == NotificationDeliveryStatus.Delivered);

        Assert.Equal(2, delivered.Attempts);
        await receiver.WaitForRequestAsync(2);
        Assert.Equal(2, receiver.Requests.Count);
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private static async Task<Guid> StartJobAsync(WebApplication node, Uri callbackUrl)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/echo", UriKind.Relative))
        {
            Content = JsonContent.Create(new EchoRequest { Text = "hello" }),
        };
        request.Headers.Add("LongJobs-Callback-Url", callbackUrl.AbsoluteUri);
        using var response = await node.GetTestClient().SendAsync(request).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JobIdOnly>())!.Id;
    }

    /// <summary>Reads the job through <paramref name="node"/> until its webhook's delivery satisfies <paramref name="condition"/>.</summary>
    private static async Task<NotificationDelivery> WaitForWebhookAsync(WebApplication node, Guid id, Func<NotificationDelivery, bool> condition)
    {
        var job = await TestNode.WaitUntilAsync(node, id, job => job.Deliveries.Any(delivery => delivery.Channel == NotificationChannels.Webhook && condition(delivery)));
        return job.Deliveries.Single(delivery => delivery.Channel == NotificationChannels.Webhook);
    }

    /// <summary>Makes the job's next attempt due now, as if its wait had passed while no node ran.</summary>
    private async Task ScheduleNextAttemptNowAsync(Guid id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            """
            UPDATE longjobs.jobs
            SET notify_at = now(),
                deliveries = jsonb_build_array(deliveries->0 || jsonb_build_object('nextAttemptAt', now()))
            WHERE id = @id AND notify_at IS NOT NULL
            """,
            connection);
        command.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private async Task<WebApplication> StartNodeAsync(List<TimeSpan> retryDelays)
    {
        var node = await TestNode.StartAsync(
            _database,
            longJobs => longJobs
                .AddJob<EchoJob, EchoRequest, EchoResult>("echo")
                .AddWebhooks(webhooks =>
                {
                    webhooks.AllowedHosts.Add("127.0.0.1");
                    webhooks.AllowHttp = true;
                    webhooks.SigningKey = _signingKey;
                    webhooks.RetryDelays = retryDelays;
                }),
            jobs: options => options.QueuePollInterval = TimeSpan.FromMilliseconds(100));
        _disposables.Add(node);
        return node;
    }

    private sealed record JobIdOnly(Guid Id);

    public sealed record EchoRequest
    {
        public required string Text { get; init; }
    }

    public sealed record EchoResult
    {
        public required string Text { get; init; }
    }

    /// <summary>Returns its request's text at once.</summary>
    public sealed class EchoJob : IJobHandler<EchoRequest, EchoResult>
    {
        public Task<EchoResult> ExecuteAsync(EchoRequest request, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new EchoResult { Text = request.Text });
    }
}
