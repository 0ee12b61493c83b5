using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>A kind paused on one node waits on every node sharing the database, and runs there once resumed.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class KindPauseTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task AKindPausedOnA_WaitsOnB_AndRunsOnBOnceResumedOnA()
    {
        var nodeA = await StartNodeAsync();
        var nodeB = await StartNodeAsync();
        var schedulerA = nodeA.Services.GetRequiredService<IJobScheduler>();
        var schedulerB = nodeB.Services.GetRequiredService<IJobScheduler>();
        await schedulerA.PauseKindAsync("echo");

        var waiting = await schedulerB.StartKindAsync("echo", new EchoRequest { Text = "after the pause" });
        var other = await schedulerB.StartKindAsync("other", new EchoRequest { Text = "another kind" });

        await other.Task.WaitAsync(SafetyTimeout.Value);
        Assert.Equal(JobStatus.Queued, waiting.State.Status);
        Assert.Equal(["echo"], (await schedulerB.GetPausedKindsAsync()).Select(pause => pause.Kind));

        Assert.True(await schedulerA.ResumeKindAsync("echo"));
        await waiting.Task.WaitAsync(SafetyTimeout.Value);
        Assert.Equal(JobStatus.Succeeded, waiting.State.Status);
    }

    public Task DisposeAsync() => _nodes.StopAllAsync();

    private Task<WebApplication> StartNodeAsync() =>
        _nodes.StartAsync(
            longJobs => longJobs
                .AddJob<EchoJob, EchoRequest, EchoResult>("echo")
                .AddJob<EchoJob, EchoRequest, EchoResult>("other"));

    public sealed class EchoJob : IJobHandler<EchoRequest, EchoResult>
    {
        public Task<EchoResult> ExecuteAsync(EchoRequest request, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new EchoResult { Text = request.Text });
    }

    public sealed record EchoRequest
    {
        public required string Text { get; init; }
    }

    public sealed record EchoResult
    {
        public required string Text { get; init; }
    }
}
