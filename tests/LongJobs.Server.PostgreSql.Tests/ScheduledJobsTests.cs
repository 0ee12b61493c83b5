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

/// <summary>Jobs started for later on two nodes sharing one database: each comes due once, whichever node is up.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class ScheduledJobsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly RunLog _runs = new();
    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task AJobScheduledOnA_WhenAStopsBeforeItsTime_IsQueuedAndRunOnceByB()
    {
        var nodeA = await StartNodeAsync("a");
        using var clientA = nodeA.GetTestClient();
        using var nodeB = (await StartNodeAsync("b")).GetTestClient();

        var id = await ScheduleAsync(clientA, "orphan", delaySeconds: 2);
        await nodeA.StopAsync();

        var state = await WaitUntilFinishedAsync(nodeB, id);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("startedAt").GetDateTimeOffset() >= state.GetProperty("notBefore").GetDateTimeOffset());
        Assert.Equal(["b"], _runs.NodesOf("orphan"));
    }

    [Fact]
    public async Task JobsScheduledOnTwoNodes_ForTheSameTimes_EachRunOnce()
    {
        using var nodeA = (await StartNodeAsync("a")).GetTestClient();
        using var nodeB = (await StartNodeAsync("b")).GetTestClient();

        var ids = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => ScheduleAsync(i % 2 == 0 ? nodeA : nodeB, $"job-{i}", delaySeconds: 1 + (i % 3))));
        var states = await Task.WhenAll(ids.Select((id, i) => WaitUntilFinishedAsync(i % 2 == 0 ? nodeB : nodeA, id)));

        Assert.All(states, state => Assert.Equal("Succeeded", state.GetProperty("status").GetString()));
        Assert.All(states, state => Assert.Equal(1, state.GetProperty("attempt").GetInt32()));
        Assert.All(Enumerable.Range(0, 60), i => Assert.Single(_runs.NodesOf($"job-{i}")));
    }

    public Task DisposeAsync() => _nodes.StopAllAsync();

    private static async Task<Guid> ScheduleAsync(HttpClient node, string name, int delaySeconds)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/logged") { Content = JsonContent.Create(new LoggedRequest { Name = name }) };
        request.Headers.Add("LongJobs-Delay", delaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await node.SendAsync(request).WaitAsync(SafetyTimeout.Value);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Scheduled", state.GetProperty("status").GetString());
        return state.GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> WaitUntilFinishedAsync(HttpClient node, Guid id)
    {
        using var response = await node.GetAsync($"/api/jobs/{id}?wait=30").WaitAsync(SafetyTimeout.Value);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<WebApplication> StartNodeAsync(string name) =>
        _nodes.StartAsync(
            longJobs => longJobs.AddJob<LoggedJob, LoggedRequest, LoggedResult>("logged"),
            services: services => services.AddSingleton(_runs).AddSingleton(new NodeName(name)));

    /// <summary>Which node ran each job, every time it ran.</summary>
    public sealed class RunLog
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _runs = new(StringComparer.Ordinal);

        public void Add(string job, string node) => _runs.GetOrAdd(job, _ => new()).Enqueue(node);

        public string[] NodesOf(string job) => _runs.TryGetValue(job, out var nodes) ? [.. nodes] : [];
    }

    public sealed record NodeName(string Value);

    public sealed class LoggedJob(RunLog runs, NodeName node) : IJobHandler<LoggedRequest, LoggedResult>
    {
        public Task<LoggedResult> ExecuteAsync(LoggedRequest request, JobContext context, CancellationToken cancellationToken)
        {
            runs.Add(request.Name, node.Value);
            return Task.FromResult(new LoggedResult());
        }
    }

    public sealed record LoggedRequest
    {
        public required string Name { get; init; }
    }

    public sealed record LoggedResult;
}
