using LongJobs.Server.Execution;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>Priorities on two nodes sharing one database: slots freed on either node take the higher priority's jobs first.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class PriorityTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly JobGates _gates = new();
    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task SlotsFreedOnTwoNodes_TakeTheUrgentJobs_ThoughTheyWereQueuedAfterTheNormalOnes()
    {
        var nodeA = await StartNodeAsync();
        var nodeB = await StartNodeAsync();
        var schedulerA = nodeA.Services.GetRequiredService<IJobScheduler>();
        var schedulerB = nodeB.Services.GetRequiredService<IJobScheduler>();
        await schedulerA.StartKindAsync("gated", new GatedRequest { GateKey = "busy-a" });
        await schedulerB.StartKindAsync("gated", new GatedRequest { GateKey = "busy-b" });
        await Task.WhenAll(_gates["busy-a"].Started, _gates["busy-b"].Started);

        await schedulerA.StartManyAsync("gated", [new GatedRequest { GateKey = "normal-1" }, new GatedRequest { GateKey = "normal-2" }]);
        await schedulerB.StartManyAsync("urgent", [new GatedRequest { GateKey = "urgent-1" }, new GatedRequest { GateKey = "urgent-2" }]);
        _gates["busy-a"].Release();
        _gates["busy-b"].Release();

        await Task.WhenAll(_gates["urgent-1"].Started, _gates["urgent-2"].Started);
        Assert.False(_gates["normal-1"].HasStarted);
        Assert.False(_gates["normal-2"].HasStarted);
        _gates["urgent-1"].Release();
        _gates["urgent-2"].Release();
        await Task.WhenAll(_gates["normal-1"].Started, _gates["normal-2"].Started);
    }

    public async Task DisposeAsync()
    {
        _gates.ReleaseAll();
        await _nodes.StopAllAsync();
    }

    private Task<WebApplication> StartNodeAsync() =>
        _nodes.StartAsync(
            longJobs => longJobs
                .AddJob<GatedJob, GatedRequest, GatedResult>("gated")
                .AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = 10),
            services => services.AddSingleton(_gates),
            jobs => jobs.MaxConcurrency = 1);
}
