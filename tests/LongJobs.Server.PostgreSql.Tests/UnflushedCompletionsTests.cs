using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static LongJobs.Server.PostgreSql.Tests.OutageLongerThanALeaseTests;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// Completions are written in batches (one statement per flush). A node that loses the database for good with a batch
/// of completions sent and others not yet flushed, as a node that is killed: every job finishes exactly once, by the
/// node that ran it if its batch committed, else by the other node that runs it again; none is lost, none finished twice,
/// and the node's late outcomes, when it comes back, change nothing.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class UnflushedCompletionsTests(PostgreSqlServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Jobs = 12;

    private readonly RunLog _log = new();
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _database = string.Empty;

    public async Task InitializeAsync() => _database = await server.CreateDatabaseAsync();

    [Fact]
    public async Task ANodeLostWithCompletionsInFlight_EachJobFinishesOnce_ByItsBatchOrByARunOnTheOtherNode()
    {
        // Node A reaches the database through the proxy and runs every job, each waiting for its gate.
        var proxy = new FaultyProxy(_database);
        _disposables.Add(proxy);
        var nodeA = await StartNodeAsync("a", proxy.Through(_database));
        var names = Enumerable.Range(0, Jobs).Select(i => $"job-{i}").ToArray();
        foreach (var name in names)
        {
            await nodeA.Services.GetRequiredService<IJobScheduler>().StartKindAsync("record", new RecordRequest { Name = name, WaitOnFirstAttempt = true });
        }

        await Task.WhenAll(names.Select(_log.StartedAsync)).WithSafetyTimeout();
        var nodeB = await StartNodeAsync("b", _database);

        // Every job ends at once: the first batch of completions reaches the database, which commits it, and its answer
        // is lost; then A is cut off for good, with the other completions unflushed.
        proxy.LoseAnswerTo("new_completed_at", thenHold: true);
        _log.Release(names);
        await proxy.AnswerLost.WithSafetyTimeout();
        proxy.CutOff();

        // B takes over what A's batch did not finish, once A's lease runs out.
        var ids = (await ReadAllAsync(nodeB)).Select(job => job.Id).ToList();
        Assert.Equal(Jobs, ids.Count);
        var finals = await Task.WhenAll(ids.Select(id => TestNode.WaitUntilAsync(nodeB, id)));

        Assert.All(finals, job => Assert.Equal(JobStatus.Succeeded, job.Status));
        var byBatch = finals.Where(job => job.Attempt == 1).Select(job => job.Result!.Value.GetProperty("name").GetString()).ToHashSet();
        var rerun = finals.Where(job => job.Attempt == 2).Select(job => job.Result!.Value.GetProperty("name").GetString()).ToHashSet();
        output.WriteLine($"Finished by A's committed batch: {byBatch.Count}; run again on B: {rerun.Count}.");
        Assert.NotEmpty(byBatch); // the lost answer's batch committed
        Assert.Equal(Jobs, byBatch.Count + rerun.Count);
        Assert.Equal(names.Select(name => (name, "a", 1)).Concat(rerun.Select(name => (name!, "b", 2))).Order(), _log.Runs.Order());

        // A comes back: its late outcomes of attempt 1 are refused; nothing changes.
        proxy.HoldNextConnections(0);
        proxy.Reconnect();
        await nodeA.StopAsync().WithSafetyTimeout();
        foreach (var job in finals)
        {
            AssertSameFinish(job, await TestNode.WaitUntilAsync(nodeB, job.Id));
        }
    }

    public async Task DisposeAsync()
    {
        _log.ReleaseAll();
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private static void AssertSameFinish(JobRecord expected, JobRecord actual) =>
        Assert.Equal((expected.Status, expected.Attempt, expected.Version, expected.CompletedAt), (actual.Status, actual.Attempt, actual.Version, actual.CompletedAt));

    private static async Task<IReadOnlyList<JobRecord>> ReadAllAsync(WebApplication node) =>
        (await node.Services.GetRequiredService<IJobStore>().ListAsync(new JobQuery { PageSize = JobQuery.MaxPageSize })).Items;

    private async Task<WebApplication> StartNodeAsync(string name, string connectionString)
    {
        var node = await TestNode.StartAsync(
            connectionString,
            longJobs => longJobs.AddJob<RecordJob, RecordRequest, RecordResult>("record"),
            services => services.AddSingleton(_log).AddSingleton(new NodeName(name)),
            options =>
            {
                options.MaxConcurrency = Jobs;
                options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            },
            options => LosesItsLeasesSoon(options, name));
        _disposables.Add(node);
        return node;
    }
}
