using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>Two LongJobs nodes, each its own host with its own HTTP endpoint, sharing one database.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class TwoNodeTests(PostgreSqlServer server) : IAsyncLifetime
{

    private readonly StepGates _gates = new();
    private readonly List<WebApplication> _nodes = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    [Fact]
    public async Task JobStartedOnA_IsAwaitedOnB_WithItsResult()
    {
        using var nodeA = await StartNodeAsync();
        var id = await StartStepJobAsync(nodeA, "await-on-b");
        await WaitUntilRunningAsync(nodeA, id);

        // Started once the job runs on A, so it cannot have claimed it.
        using var nodeB = await StartNodeAsync();
        var waiting = nodeB.GetAsync($"/api/jobs/steps/{id}?wait=30");
        _gates.Finish("await-on-b");

        using var response = await waiting.WaitAsync(SafetyTimeout.Value);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal("await-on-b", state.GetProperty("result").GetProperty("name").GetString());
    }

    [Fact]
    public async Task EventsOfAJobRunningOnA_ArriveOnB_InItsStreamAndInTheStreamOfEveryJob()
    {
        using var nodeA = await StartNodeAsync();
        var id = await StartStepJobAsync(nodeA, "events-on-b");
        await WaitUntilRunningAsync(nodeA, id);
        using var nodeB = await StartNodeAsync();

        using var one = await OpenEventsAsync(nodeB, $"/api/jobs/{id}/events");
        using var all = await OpenEventsAsync(nodeB, "/api/jobs/events?kind=steps");
        using var oneEvents = new EventStreamReader(await one.Content.ReadAsStreamAsync());
        using var allEvents = new EventStreamReader(await all.Content.ReadAsStreamAsync());
        Assert.Equal("status", (await oneEvents.ReadAsync())?.Name);

        _gates.Step("events-on-b");
        var progress = await oneEvents.ReadAsync();
        Assert.Equal("progress", progress?.Name);
        Assert.Equal(0.5, progress!.Data.GetProperty("progress").GetDouble());
        _gates.Finish("events-on-b");
        var finished = await oneEvents.ReadAsync();
        Assert.Equal("finished", finished?.Name);
        Assert.Equal("events-on-b", finished!.Data.GetProperty("result").GetProperty("name").GetString());
        Assert.Null(await oneEvents.ReadAsync());

        ServerSentEvent? fromAll;
        do
        {
            fromAll = await allEvents.ReadAsync();
            Assert.Equal(id, fromAll?.Data.GetProperty("id").GetGuid());
        }
        while (fromAll!.Name != "finished");

        Assert.Equal("events-on-b", fromAll.Data.GetProperty("result").GetProperty("name").GetString());
    }

    [Fact]
    public async Task CancelOnB_ReachesTheJobRunningOnA_AtItsNextProgressReport()
    {
        using var nodeA = await StartNodeAsync();
        var id = await StartStepJobAsync(nodeA, "cancel-on-b");
        await WaitUntilRunningAsync(nodeA, id);
        using var nodeB = await StartNodeAsync();

        using var cancel = await nodeB.PostAsync($"/api/jobs/{id}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var waiting = nodeB.GetAsync($"/api/jobs/{id}?wait=30");
        _gates.Step("cancel-on-b");

        using var response = await waiting.WaitAsync(SafetyTimeout.Value);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Canceled", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("cancellationRequested").GetBoolean());
    }

    [Fact]
    public async Task CancelOnB_OfAJobWaitingInTheQueue_EndsItCanceledWithoutRunningIt()
    {
        using var nodeA = await StartNodeAsync(maxConcurrency: 1);
        using var nodeB = await StartNodeAsync(maxConcurrency: 1);
        var first = await StartStepJobAsync(nodeA, "occupies-a-slot");
        var second = await StartStepJobAsync(nodeB, "occupies-another-slot");
        await WaitUntilRunningAsync(nodeB, first);
        await WaitUntilRunningAsync(nodeA, second);
        var queued = await StartStepJobAsync(nodeA, "never-runs");

        using var cancel = await nodeB.PostAsync($"/api/jobs/{queued}/cancel", content: null);
        var state = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        _gates.Finish("occupies-a-slot");
        _gates.Finish("occupies-another-slot");
        await WaitUntilFinishedAsync(nodeA, first);
        await WaitUntilFinishedAsync(nodeB, second);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Canceled", state.GetProperty("status").GetString());
        Assert.Equal(0, state.GetProperty("attempt").GetInt32());
        Assert.False(_gates.WasAsked("never-runs"));
    }

    [Fact]
    public async Task ConcurrentStartsWithOneIdempotencyKey_OnBothNodes_CreateOneJob()
    {
        using var nodeA = await StartNodeAsync();
        using var nodeB = await StartNodeAsync();

        var starts = Enumerable.Range(0, 10).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/steps") { Content = JsonContent.Create(new StepRequest { Name = "once" }) };
            request.Headers.Add("Idempotency-Key", "one-key");
            using var response = await (i % 2 == 0 ? nodeA : nodeB).SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        });

        var ids = await Task.WhenAll(starts).WaitAsync(SafetyTimeout.Value);

        Assert.Single(ids.Distinct());
        var list = await nodeB.GetFromJsonAsync<JsonElement>("/api/jobs?kind=steps");
        Assert.Equal(1, list.GetProperty("items").GetArrayLength());
        _gates.Finish("once");
    }

    [Fact]
    public async Task FinishedResult_SurvivesRestartingEveryNode()
    {
        Guid id;
        using (var nodeA = await StartNodeAsync())
        {
            id = await StartStepJobAsync(nodeA, "survive");
            _gates.Finish("survive");
            using var finished = await nodeA.GetAsync($"/api/jobs/{id}?wait=30").WaitAsync(SafetyTimeout.Value);
            Assert.Equal("Succeeded", (await finished.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        await StopAllNodesAsync();
        using var nodeC = await StartNodeAsync();

        var state = await nodeC.GetFromJsonAsync<JsonElement>($"/api/jobs/steps/{id}");
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal("survive", state.GetProperty("result").GetProperty("name").GetString());
    }

    [Fact]
    public async Task AUsersJobStartedOnA_IsTheirsOnB_AndUnknownToAnotherUserThere()
    {
        var nodeA = await StartNodeWithUsersAsync();
        var nodeB = await StartNodeWithUsersAsync();
        using var aliceOnA = As(nodeA, "alice");
        using var aliceOnB = As(nodeB, "alice");
        using var bobOnB = As(nodeB, "bob");
        var id = await StartStepJobAsync(aliceOnA, "owned");
        await WaitUntilRunningAsync(aliceOnA, id);

        using var bobReads = await bobOnB.GetAsync($"/api/jobs/{id}");
        using var bobCancels = await bobOnB.PostAsync($"/api/jobs/{id}/cancel", content: null);
        var bobsList = await bobOnB.GetFromJsonAsync<JsonElement>("/api/jobs");
        var alicesList = await aliceOnB.GetFromJsonAsync<JsonElement>("/api/jobs");
        var alicesState = await aliceOnB.GetFromJsonAsync<JsonElement>($"/api/jobs/steps/{id}");

        Assert.Equal(HttpStatusCode.NotFound, bobReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobCancels.StatusCode);
        Assert.Empty(bobsList.GetProperty("items").EnumerateArray());
        Assert.Equal(id, Assert.Single(alicesList.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal("Running", alicesState.GetProperty("status").GetString());
        _gates.Finish("owned");
        await WaitUntilFinishedAsync(aliceOnB, id);
        Assert.Equal("Succeeded", (await aliceOnB.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("status").GetString());
    }

    public async Task DisposeAsync() => await StopAllNodesAsync();

    /// <summary>A node whose users are named by a request header (<see cref="HeaderAuthenticationHandler"/>).</summary>
    [Fact]
    public async Task ProgressOnA_AnswersAConditionalLongPollOnB()
    {
        using var nodeA = await StartNodeAsync();
        var id = await StartStepJobAsync(nodeA, "progress-on-b");
        await WaitUntilRunningAsync(nodeA, id);
        using var nodeB = await StartNodeAsync();
        using var running = await nodeB.GetAsync($"/api/jobs/{id}");
        var etag = running.Headers.ETag!.Tag;

        var waiting = SendWithIfNoneMatchAsync(nodeB, $"/api/jobs/steps/{id}?wait=30", etag);
        _gates.Step("progress-on-b");
        using var response = await waiting.WaitAsync(SafetyTimeout.Value);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0.5, state.GetProperty("progress").GetDouble());
        Assert.NotEqual(etag, response.Headers.ETag!.Tag);
        using var unchanged = await SendWithIfNoneMatchAsync(nodeA, $"/api/jobs/{id}", response.Headers.ETag.Tag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        _gates.Finish("progress-on-b");
        await WaitUntilFinishedAsync(nodeA, id);
    }

    [Fact]
    public async Task StartWithPreferWait_OfAQuickJob_AnswersWithItsEnd()
    {
        using var node = await StartNodeAsync();
        _gates.Finish("quick");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/steps") { Content = JsonContent.Create(new StepRequest { Name = "quick" }) };
        request.Headers.Add("Prefer", "wait=20");

        using var response = await node.SendAsync(request).WaitAsync(SafetyTimeout.Value);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal("quick", state.GetProperty("result").GetProperty("name").GetString());
        Assert.Equal("wait=20", string.Join(",", response.Headers.GetValues("Preference-Applied")));
    }

    [Fact]
    public async Task DeleteOnB_RemovesAJobFinishedOnA_AndRefusesARunningOne()
    {
        using var nodeA = await StartNodeAsync();
        var finished = await StartStepJobAsync(nodeA, "delete-finished");
        _gates.Finish("delete-finished");
        await WaitUntilFinishedAsync(nodeA, finished);
        var running = await StartStepJobAsync(nodeA, "delete-running");
        await WaitUntilRunningAsync(nodeA, running);
        using var nodeB = await StartNodeAsync();

        using var deleted = await nodeB.DeleteAsync($"/api/jobs/{finished}");
        using var refused = await nodeB.DeleteAsync($"/api/jobs/{running}");
        using var gone = await nodeA.GetAsync($"/api/jobs/{finished}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("notFoundOrRemoved", (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        _gates.Finish("delete-running");
        await WaitUntilFinishedAsync(nodeA, running);
    }

    [Fact]
    public async Task AnUnknownJobFromBeforeTheNodeStarted_IsNotFoundOrRemoved_SinceTheStoreKeepsJobsAcrossRestarts()
    {
        using var node = await StartNodeAsync();

        using var response = await node.GetAsync($"/api/jobs/{Guid.CreateVersion7(DateTimeOffset.UtcNow.AddDays(-1))}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("notFoundOrRemoved", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
    }

    private static async Task<HttpResponseMessage> SendWithIfNoneMatchAsync(HttpClient node, string url, string ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await node.SendAsync(request);
    }

    private async Task<WebApplication> StartNodeWithUsersAsync()
    {
        var app = await TestNode.StartAsync(
            _connectionString,
            longJobs => longJobs.AddJob<StepJob, StepRequest, StepResult>("steps"),
            services =>
            {
                services.AddSingleton(_gates);
                HeaderAuthenticationHandler.Add(services);
            });
        _nodes.Add(app);
        return app;
    }

    private static HttpClient As(WebApplication node, string user)
    {
        var client = node.GetTestClient();
        client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
        return client;
    }

    private async Task<HttpClient> StartNodeAsync(int maxConcurrency = 4)
    {
        var app = await TestNode.StartAsync(
            _connectionString,
            longJobs => longJobs.AddJob<StepJob, StepRequest, StepResult>("steps"),
            services => services.AddSingleton(_gates),
            options => options.MaxConcurrency = maxConcurrency);
        _nodes.Add(app);
        return app.GetTestClient();
    }

    private async Task StopAllNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private static Task<HttpResponseMessage> OpenEventsAsync(HttpClient node, string url) =>
        node.SendAsync(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead).WaitAsync(SafetyTimeout.Value);

    private static async Task<Guid> StartStepJobAsync(HttpClient node, string name)
    {
        using var response = await node.PostAsJsonAsync("/api/jobs/steps", new StepRequest { Name = name });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>Long-polls <paramref name="node"/> until the job is Running (its first change after Queued).</summary>
    private static async Task WaitUntilRunningAsync(HttpClient node, Guid id)
    {
        var deadline = DateTimeOffset.UtcNow + SafetyTimeout.Value;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var state = await node.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (state.GetProperty("status").GetString() == "Running")
            {
                return;
            }

            // Waits for the store's change notification, not for a guessed delay: the long-poll answers at the
            // next change (Running) or, at the latest, when it times out.
            await node.GetAsync($"/api/jobs/{id}?wait=1");
        }

        Assert.Fail($"Job {id} did not start running.");
    }

    /// <summary>Long-polls <paramref name="node"/> until the job has finished.</summary>
    private static async Task WaitUntilFinishedAsync(HttpClient node, Guid id)
    {
        var deadline = DateTimeOffset.UtcNow + SafetyTimeout.Value;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var state = await node.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}?wait=5");
            if (state.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Canceled")
            {
                return;
            }
        }

        Assert.Fail($"Job {id} did not finish.");
    }

    /// <summary>A job that reports progress at each step the test allows, and finishes when the test says so.</summary>
    public sealed class StepJob(StepGates gates) : IJobHandler<StepRequest, StepResult>
    {
        public async Task<StepResult> ExecuteAsync(StepRequest request, JobContext context, CancellationToken cancellationToken)
        {
            while (await gates.NextAsync(request.Name, cancellationToken))
            {
                await context.ReportProgressAsync(0.5, "step", cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
            }

            return new StepResult { Name = request.Name };
        }
    }

    public sealed record StepRequest
    {
        public required string Name { get; init; }
    }

    public sealed record StepResult
    {
        public required string Name { get; init; }
    }

    /// <summary>Per job name: a queue of signals, each "take one step" (true) or "finish" (false).</summary>
    public sealed class StepGates
    {
        private readonly ConcurrentDictionary<string, System.Threading.Channels.Channel<bool>> _channels = new();
        private readonly ConcurrentDictionary<string, bool> _asked = new();

        public void Step(string name) => Channel(name).Writer.TryWrite(true);

        public void Finish(string name) => Channel(name).Writer.TryWrite(false);

        public async Task<bool> NextAsync(string name, CancellationToken cancellationToken)
        {
            _asked[name] = true;
            return await Channel(name).Reader.ReadAsync(cancellationToken);
        }

        /// <summary>Whether a job named <paramref name="name"/> ever asked for a step (so it ran).</summary>
        public bool WasAsked(string name) => _asked.ContainsKey(name);

        private System.Threading.Channels.Channel<bool> Channel(string name) =>
            _channels.GetOrAdd(name, _ => System.Threading.Channels.Channel.CreateUnbounded<bool>());
    }
}
