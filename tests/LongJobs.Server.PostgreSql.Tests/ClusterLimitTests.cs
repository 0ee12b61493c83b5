using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// A kind limited across nodes (<see cref="Kinds.JobKindOptions.MaxClusterConcurrency"/>) on two nodes sharing one
/// database: its jobs run one at a time whichever node started them, each that finishes lets the next start, and the
/// nodes' other kinds still start without a claim beside it.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class ClusterLimitTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly JobGates _gates = new();
    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task ALimitedKindsJobs_RunOneAtATimeOnTwoNodes_EachStartedWhenTheOneBeforeFinishes_WhileOtherKindsSkipTheQueue()
    {
        var nodes = new[] { await StartNodeAsync(), await StartNodeAsync() };
        var schedulers = nodes.Select(node => node.Services.GetRequiredService<IJobScheduler>()).ToArray();
        var store = nodes[0].Services.GetRequiredService<IJobStore>();
        var limited = new List<LongRunningJob>();
        for (var i = 0; i < 4; i++)
        {
            limited.Add(await schedulers[i % 2].StartKindAsync("limited", new GatedRequest { GateKey = $"limited-{i}" }));
        }

        // Beside the limited kind's waiting jobs, once a claim has taken every job that may start (the first job of the
        // other kind, claimed or not), a start of the other kind is stored running: it finishes in its second version
        // (a claim would make three).
        foreach (var scheduler in schedulers)
        {
            await (await scheduler.StartKindAsync("echo", new EchoRequest())).Task.WaitAsync(SafetyTimeout.Value);
            var echo = await scheduler.StartKindAsync("echo", new EchoRequest());
            await echo.Task.WaitAsync(SafetyTimeout.Value);
            Assert.Equal((JobStatus.Succeeded, 2L), await StatusAndVersionAsync(store, echo.Id));
        }

        // Queue order, one at a time: the poll is ten minutes away, so only the finish of the one before starts each.
        for (var i = 0; i < limited.Count; i++)
        {
            await _gates[$"limited-{i}"].Started;
            var statuses = await Task.WhenAll(limited.Select(async job => (await store.GetAsync(job.Id))!.Status));
            Assert.Equal([.. Enumerable.Repeat(JobStatus.Succeeded, i), JobStatus.Running, .. Enumerable.Repeat(JobStatus.Queued, limited.Count - i - 1)], statuses);
            _gates[$"limited-{i}"].Release();
        }

        await Task.WhenAll(limited.Select(job => job.Task)).WaitAsync(SafetyTimeout.Value);
    }

    public async Task DisposeAsync()
    {
        _gates.ReleaseAll();
        await _nodes.StopAllAsync();
    }

    private static async Task<(JobStatus, long)> StatusAndVersionAsync(IJobStore store, Guid id)
    {
        var job = await store.GetAsync(id);
        return (job!.Status, job.Version);
    }

    private Task<WebApplication> StartNodeAsync() =>
        _nodes.StartAsync(
            longJobs => longJobs
                .AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxClusterConcurrency = 1)
                .AddJob<EchoJob, EchoRequest, EchoRequest>("echo"),
            services => services.AddSingleton(_gates),
            jobs =>
            {
                jobs.MaxConcurrency = 8;
                jobs.QueuePollInterval = TimeSpan.FromMinutes(10);
        });

    /// <summary>Returns at once, reporting no progress: a job stored running finishes in its second version.</summary>
    public sealed class EchoJob : IJobHandler<EchoRequest, EchoRequest>
    {
        public Task<EchoRequest> ExecuteAsync(EchoRequest request, JobContext context, CancellationToken cancellationToken) => Task.FromResult(request);
    }

    public sealed record EchoRequest;
}
