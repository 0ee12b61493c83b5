using System.Collections.Concurrent;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// Two nodes on one database; one of them loses the database for longer than its lease while its jobs finish (the
/// field report of issue 13). The other node takes the jobs over; when the database is back, the first node's late
/// outcomes are refused (fenced), every job has finished exactly once, and the first node is back to full capacity
/// and stops at once. Or the other node only requeues the jobs, and the first claims them again while it still holds
/// their earlier attempts: the new attempts supersede those.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class OutageLongerThanALeaseTests(PostgreSqlServer server) : IAsyncLifetime, IDisposable
{
    /// <summary>The event of the engine's log line for an attempt whose outcome the store refused: another attempt has the job.</summary>
    private const int AttemptTakenOverEvent = 47;

    private readonly RunLog _log = new();
    private readonly RecordedLogs _logsOfA = new();
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _database = string.Empty;

    public async Task InitializeAsync() => _database = await server.CreateDatabaseAsync();

    [Fact]
    public async Task JobsThatFinishWhileTheirNodeIsCutOff_FinishOnceOnTheOtherNode_AndTheNodeComesBackToFullCapacity()
    {
        // Node A reaches the database through the proxy; it runs two jobs, one per slot.
        var proxy = new FaultyProxy(_database);
        _disposables.Add(proxy);
        var nodeA = await StartNodeAsync("a", proxy.Through(_database), _logsOfA);
        var jobs = new[] { "first", "second" };
        await StartWaitingJobsAsync(nodeA, jobs);
        var nodeB = await StartNodeAsync("b", _database, logs: null);

        // A loses the database, its jobs finish meanwhile, and its lease runs out: B puts them back in the queue and runs them.
        proxy.CutOff();
        _log.Release(jobs);

        foreach (var name in jobs)
        {
            await _log.RanAsync(name, "b", attempt: 2).WithSafetyTimeout();
        }

        var ids = (await ReadAllAsync(nodeB)).ToDictionary(job => job.Id, job => job);
        await Task.WhenAll(ids.Keys.Select(id => TestNode.WaitUntilAsync(nodeB, id)));

        // The database comes back for A: its late outcomes of attempt 1 are refused, never recorded over attempt 2.
        proxy.Reconnect();
        var takenOver = await _logsOfA.WaitForAsync(AttemptTakenOverEvent);
        Assert.Equal(LogLevel.Warning, takenOver.Level);

        foreach (var job in await ReadAllAsync(nodeA))
        {
            Assert.Equal((JobStatus.Succeeded, 2), (job.Status, job.Attempt));
        }

        Assert.Equal(
            [("first", "a", 1), ("first", "b", 2), ("second", "a", 1), ("second", "b", 2)],
            _log.Runs.Order());

        // A is back to full capacity, with B gone, and stops at once.
        await nodeB.StopAsync();
        await AssertBackToFullCapacityAndStopsAtOnceAsync(nodeA);
    }

    [Fact]
    public async Task JobsRequeuedWhileTheirNodeIsCutOff_AreClaimedAgainByThatNode_AndFinishOnce()
    {
        // The field report: B runs no job of the kind, it only notices that A's lease ran out and requeues A's jobs;
        // when the database is back, A claims them again, whether or not its late outcomes were refused first.
        var proxy = new FaultyProxy(_database);
        _disposables.Add(proxy);
        var nodeA = await StartNodeAsync("a", proxy.Through(_database), _logsOfA);
        var jobs = new[] { "first", "second" };
        var ids = await StartWaitingJobsAsync(nodeA, jobs);
        var nodeB = await StartNodeAsync("b", _database, logs: null, runsJobs: false);

        proxy.CutOff();
        _log.Release(jobs);

        foreach (var id in ids)
        {
            await TestNode.WaitUntilAsync(nodeB, id, job => job.Status == JobStatus.Queued);
        }

        proxy.Reconnect();
        foreach (var id in ids)
        {
            var finished = await TestNode.WaitUntilAsync(nodeB, id);
            Assert.Equal((JobStatus.Succeeded, 2), (finished.Status, finished.Attempt));
        }

        Assert.Equal(
            [("first", "a", 1), ("first", "a", 2), ("second", "a", 1), ("second", "a", 2)],
            _log.Runs.Order());

        await AssertBackToFullCapacityAndStopsAtOnceAsync(nodeA);
    }

    public async Task DisposeAsync()
    {
        _log.ReleaseAll();
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    public void Dispose() => _logsOfA.Dispose();

    private static IJobScheduler Scheduler(WebApplication node) => node.Services.GetRequiredService<IJobScheduler>();

    /// <summary>Starts jobs whose first attempts wait for their gates, and waits until every one has started: one per slot.</summary>
    private async Task<List<Guid>> StartWaitingJobsAsync(WebApplication node, string[] names)
    {
        var ids = new List<Guid>();
        foreach (var name in names)
        {
            ids.Add((await Scheduler(node).StartKindAsync("record", new RecordRequest { Name = name, WaitOnFirstAttempt = true })).Id);
        }

        await Task.WhenAll(names.Select(_log.StartedAsync)).WithSafetyTimeout();
        return ids;
    }

    /// <summary>
    /// Node A's two slots are both free: two new jobs run side by side, every job ends Succeeded, and the node stops
    /// without waiting for its ten-minute shutdown timeout, having logged no error.
    /// </summary>
    private async Task AssertBackToFullCapacityAndStopsAtOnceAsync(WebApplication nodeA)
    {
        string[] later = ["third", "fourth"];
        await StartWaitingJobsAsync(nodeA, later);
        _log.Release(later);
        foreach (var job in await ReadAllAsync(nodeA))
        {
            Assert.Equal(JobStatus.Succeeded, (await TestNode.WaitUntilAsync(nodeA, job.Id)).Status);
        }

        await nodeA.StopAsync().WithSafetyTimeout();
        Assert.DoesNotContain(_logsOfA.Entries, entry => entry.Level >= LogLevel.Error);
    }

    private static async Task<IReadOnlyList<JobRecord>> ReadAllAsync(WebApplication node) =>
        (await node.Services.GetRequiredService<IJobStore>().ListAsync(new JobQuery { PageSize = JobQuery.MaxPageSize })).Items;

    private async Task<WebApplication> StartNodeAsync(string name, string connectionString, RecordedLogs? logs, bool runsJobs = true)
    {
        var node = await TestNode.StartAsync(
            connectionString,
            longJobs =>
            {
                if (runsJobs)
                {
                    longJobs.AddJob<RecordJob, RecordRequest, RecordResult>("record");
                }
            },
            services =>
            {
                services.AddSingleton(_log).AddSingleton(new NodeName(name));
                if (logs is not null)
                {
                    services.AddSingleton<ILoggerProvider>(logs);
                }
            },
            options =>
            {
                options.MaxConcurrency = 2;
                options.ShutdownTimeout = TimeSpan.FromMinutes(10);
            },
            options => LosesItsLeasesSoon(options, name));
        _disposables.Add(node);
        return node;
    }

    /// <summary>
    /// Store options of a node named <paramref name="name"/> whose leases last 4 s: long enough that a node renewing every
    /// 100 ms keeps them on a loaded machine, short enough that a node cut off from the database loses them soon.
    /// </summary>
    internal static void LosesItsLeasesSoon(PostgreSqlJobStoreOptions options, string name)
    {
        options.NodeName = name;
        options.LeaseDuration = TimeSpan.FromSeconds(4);
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        options.RetryTimeout = TimeSpan.FromMilliseconds(500);
    }

    public sealed record NodeName(string Value);

    /// <summary>Which node ran which job in which attempt, and a gate per job for first attempts that wait.</summary>
    public sealed class RunLog
    {
        private readonly ConcurrentQueue<(string Name, string Node, int Attempt)> _runs = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new();

        public IEnumerable<(string Name, string Node, int Attempt)> Runs => _runs;

        public void Record(string name, string node, int attempt)
        {
            _runs.Enqueue((name, node, attempt));
            Signal($"ran:{name}:{node}:{attempt}").TrySetResult();
        }

        public Task RanAsync(string name, string node, int attempt) => Signal($"ran:{name}:{node}:{attempt}").Task;

        public Task StartedAsync(string name) => Signal($"started:{name}").Task;

        /// <summary>Waits until <see cref="Release"/>, whatever the job's token says: the work goes on while its node is cut off.</summary>
        public Task WaitAsync(string name)
        {
            Signal($"started:{name}").TrySetResult();
            return Signal($"release:{name}").Task;
        }

        public void Release(params string[] names)
        {
            foreach (var name in names)
            {
                Signal($"release:{name}").TrySetResult();
            }
        }

        public void ReleaseAll()
        {
            foreach (var (key, signal) in _signals)
            {
                if (key.StartsWith("release:", StringComparison.Ordinal))
                {
                    signal.TrySetResult();
                }
            }
        }

        private TaskCompletionSource Signal(string key) =>
            _signals.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>Records its run, then returns its name; a first attempt may wait for its gate first.</summary>
    public sealed class RecordJob(RunLog log, NodeName node) : IJobHandler<RecordRequest, RecordResult>
    {
        public async Task<RecordResult> ExecuteAsync(RecordRequest request, JobContext context, CancellationToken cancellationToken)
        {
            if (request.WaitOnFirstAttempt && context.Attempt == 1)
            {
                await log.WaitAsync(request.Name);
            }

            log.Record(request.Name, node.Value, context.Attempt);
            return new RecordResult { Name = request.Name };
        }
    }

    public sealed record RecordRequest
    {
        public required string Name { get; init; }

        public bool WaitOnFirstAttempt { get; init; }
    }

    public sealed record RecordResult
    {
        public required string Name { get; init; }
    }
}
