using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>Unique jobs on two nodes sharing one database: concurrent starts with one key make one job, whichever node they reach.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class UniqueJobsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly JobGates _gates = new();
    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task ConcurrentStartsWithOneKey_OnTwoNodes_StartOneJob_AndEveryOtherAnswerIsThatJobDeduplicated()
    {
        var nodeA = await StartNodeAsync();
        var nodeB = await StartNodeAsync();
        using var clientA = nodeA.GetTestClient();
        using var clientB = nodeB.GetTestClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var client = i % 2 == 0 ? clientA : clientB;
            using var response = await PostAsync(client, i, value: 7);
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            return (response.StatusCode, Deduplicated: response.Headers.TryGetValues("LongJobs-Deduplicated", out var values) ? values.Single() : null, Id: id);
        })));

        var id = Assert.Single(answers.Select(answer => answer.Id).Distinct());
        Assert.Single(answers, answer => answer is { StatusCode: HttpStatusCode.Accepted, Deduplicated: null });
        Assert.Equal(23, answers.Count(answer => answer is { StatusCode: HttpStatusCode.OK, Deduplicated: "true" }));
        var store = nodeA.Services.GetRequiredService<IJobStore>();
        Assert.Equal([id], (await store.ListAsync(new JobQuery { Kind = "unique", PageSize = 100 })).Items.Select(job => job.Id));

        // Once it has finished, the key is free: the next start is a new job.
        var winner = (await store.GetAsync(id))!.Request!.Value.GetProperty("gateKey").GetString()!;
        _gates[winner].Release();
        await TestNode.WaitUntilAsync(nodeB, id);
        using var next = await PostAsync(clientB, 24, value: 7);
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
        Assert.NotEqual(id, (await next.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AStartInCodeOnB_WhileTheJobWithItsKeyRunsOnA_ReturnsAHandleThatCompletesWithAsResult()
    {
        var nodeA = await StartNodeAsync();
        var running = await nodeA.Services.GetRequiredService<IJobScheduler>().StartKindAsync("unique", new GatedRequest { GateKey = "on-a", Value = 3 });
        await _gates["on-a"].Started;
        var nodeB = await StartNodeAsync();

        var onB = (LongRunningJob<GatedResult>)await nodeB.Services.GetRequiredService<IJobScheduler>().StartKindAsync("unique", new GatedRequest { GateKey = "on-b", Value = 3 });

        Assert.Equal(running.Id, onB.Id);
        _gates["on-a"].Release();
        Assert.Equal("on-a", (await onB.Task.WaitAsync(SafetyTimeout.Value)).GateKey);
        Assert.False(_gates["on-b"].HasStarted);
    }

    public async Task DisposeAsync()
    {
        _gates.ReleaseAll();
        await _nodes.StopAllAsync();
    }

    /// <summary>Starts a job of the unique kind whose gate is "g{<paramref name="number"/>}".</summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient client, int number, int value) =>
        client.PostAsync(new Uri("/api/jobs/unique", UriKind.Relative), JsonContent.Create(new GatedRequest { GateKey = $"g{number}", Value = value }));

    private Task<WebApplication> StartNodeAsync() =>
        _nodes.StartAsync(
            longJobs => longJobs.AddJob<GatedJob, GatedRequest, GatedResult>("unique", kind => kind.UniqueBy<GatedRequest>(request => $"customer-{request.Value}")),
            services => services.AddSingleton(_gates));
}
