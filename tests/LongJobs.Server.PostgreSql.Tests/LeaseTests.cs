using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Leases;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>Leases: a node holds its running jobs while it lives; the jobs of a node that died go back to the queue, or fail when out of attempts.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class LeaseTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _disposables = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    [Fact]
    public async Task RenewLeases_HoldsRunningJobs_AndReportsThoseAskedToCancel()
    {
        var store = CreateStore("node-a");
        var held = await StartJobAsync(store);
        var cancelled = await StartJobAsync(store);
        await store.RequestCancellationAsync(cancelled.Id, T0);

        var renewed = await store.Leases.RenewAsync("node-a", [held.Id, cancelled.Id], T0, T0.AddSeconds(30), CancellationToken.None);

        Assert.Equal([(held.Id, false), (cancelled.Id, true)], renewed.OrderBy(job => job.Id == cancelled.Id));
        Assert.Empty(await store.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(29), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await store.GetAsync(held.Id))!.Status);
    }

    [Fact]
    public async Task RenewLeases_LocksItsJobsInIdOrder_ThoughTheTableHoldsThemInReverse()
    {
        // Statements that lock many jobs take them in ID order (FinishJobs, ReportProgress): one that took them in another
        // order could hold a job the other waits for while it waits for one the other holds, a deadlock, which PostgreSQL
        // breaks after a second by failing one of them. Here the table holds the jobs highest ID first, the order a scan
        // of the table meets them in, and a session holds the lowest: a heartbeat that waits for it must hold no other yet.
        var store = CreateStore("node-a");
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.CreateVersion7()).OrderDescending().ToList();
        foreach (var id in ids)
        {
            await store.InsertStartedAsync(NewJob() with { Id = id }, T0);
        }

        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var holder = await dataSource.OpenConnectionAsync();
        await using var holding = await holder.BeginTransactionAsync();
        await LockAsync(holder, ids[^1], wait: true);

        var renewal = store.Leases.RenewAsync("node-a", ids, T0, T0.AddSeconds(30), CancellationToken.None);
        await WaitUntilAStatementWaitsForALockAsync(dataSource, "SET lease_expires_at");
        await using (var other = await dataSource.OpenConnectionAsync())
        await using (var otherTransaction = await other.BeginTransactionAsync())
        {
            // The highest ID, which a scan in the table's order would have locked first.
            await LockAsync(other, ids[0], wait: false);
        }

        await holding.RollbackAsync();
        Assert.Equal(ids.Order(), (await renewal).Select(job => job.Id).Order());
    }

    [Fact]
    public async Task RenewLeases_NeverRenewsAJobAnotherNodeRuns()
    {
        var nodeA = CreateStore("node-a");
        var job = await StartJobAsync(CreateStore("node-b"), startedAt: T0);

        await nodeA.Leases.RenewAsync("node-a", [job.Id], T0, T0.AddHours(1), CancellationToken.None);

        // Node B's lease (T0 + the default 30 s) still decides.
        Assert.Single(await nodeA.Leases.RecoverJobsOfLostNodesAsync(T0.AddMinutes(1), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));
    }

    [Fact]
    public async Task RecoverJobsOfLostNodes_EndsRunningAndQueuedAdHocJobsWhoseLeaseExpired_AndNothingElse()
    {
        var nodeA = CreateStore("node-a");
        var nodeB = CreateStore("node-b");
        var expired = await StartJobAsync(nodeA);
        var renewed = await StartJobAsync(nodeB);
        var asked = await StartJobAsync(nodeA);
        await nodeA.RequestCancellationAsync(asked.Id, T0);
        var queuedOnA = await nodeA.InsertAsync(NewJob());
        var queuedOnB = await nodeB.InsertAsync(NewJob());
        await nodeA.Leases.RenewAsync("node-a", [expired.Id, asked.Id, queuedOnA.Id], T0, T0.AddSeconds(30), CancellationToken.None);
        await nodeB.Leases.RenewAsync("node-b", [renewed.Id, queuedOnB.Id], T0, T0.AddSeconds(90), CancellationToken.None);

        var recovered = await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(60), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None);

        Assert.Equal(3, recovered.Count);
        var lost = Assert.Single(recovered, job => job.Id == expired.Id);
        Assert.Equal(JobStatus.Failed, lost.Status);
        Assert.Equal(LeaseKeeper.NodeLost, lost.Error);
        Assert.Equal(JobStatus.Canceled, Assert.Single(recovered, job => job.Id == asked.Id).Status);
        Assert.Equal(JobStatus.Failed, Assert.Single(recovered, job => job.Id == queuedOnA.Id).Status);
        Assert.Equal(JobStatus.Running, (await nodeA.GetAsync(renewed.Id))!.Status);
        Assert.Equal(JobStatus.Queued, (await nodeA.GetAsync(queuedOnB.Id))!.Status);
    }

    [Fact]
    public async Task RecoverJobsOfLostNodes_RequeuesRegisteredJobsWithAttemptsLeft_AndFailsTheOthers()
    {
        var store = CreateStore("node-a");
        var withAttemptsLeft = await store.InsertAsync(NewJob() with { Kind = "registered", Request = JsonSerializer.SerializeToElement(new { }), MaxAttempts = 2 });
        var lastAttempt = await store.InsertAsync(NewJob() with { Kind = "registered", Request = JsonSerializer.SerializeToElement(new { }), MaxAttempts = 1 });
        var claimed = await store.ClaimAsync(["registered"], 10, T0);
        Assert.Equal(2, claimed.Count);

        var recovered = await store.Leases.RecoverJobsOfLostNodesAsync(T0.AddMinutes(1), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None);

        var requeued = Assert.Single(recovered, job => job.Id == withAttemptsLeft.Id);
        Assert.Equal(JobStatus.Queued, requeued.Status);
        Assert.Equal(1, requeued.Attempt);
        Assert.Null(requeued.CompletedAt);
        Assert.Equal("Waiting for a server: the one running attempt 1 was lost.", requeued.ProgressMessage);
        Assert.Equal(JobStatus.Failed, Assert.Single(recovered, job => job.Id == lastAttempt.Id).Status);
        var again = Assert.Single(await store.ClaimAsync(["registered"], 10, T0.AddMinutes(2)));
        Assert.Equal((withAttemptsLeft.Id, 2), (again.Id, again.Attempt));
    }

    [Fact]
    public async Task AJobInsertedStarted_IsHeldUnderItsNodesLease_AndRequeuedOnceTheLeaseRunsOut()
    {
        var nodeA = CreateStore("node-a");
        var nodeB = CreateStore("node-b");
        var job = await nodeA.InsertStartedAsync(NewJob() with { Kind = "registered", Request = JsonSerializer.SerializeToElement(new { }), MaxAttempts = 2 }, T0);

        // Its lease runs from its start (the default 30 s), and node A's heartbeat renews it as a claimed job's.
        Assert.Empty(await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(29), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));
        Assert.Equal([(job.Id, false)], await nodeA.Leases.RenewAsync("node-a", [job.Id], T0.AddSeconds(20), T0.AddSeconds(50), CancellationToken.None));
        Assert.Empty(await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(49), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));

        var requeued = Assert.Single(await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(60), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));

        Assert.Equal((job.Id, JobStatus.Queued, 1), (requeued.Id, requeued.Status, requeued.Attempt));
        var lost = Assert.Single((await nodeB.GetHistoryAsync(job.Id))!.Attempts);
        Assert.Equal((1, T0, "node-a", JobAttemptOutcome.Lost), (lost.Number, lost.StartedAt, lost.Node, lost.Outcome));
        var again = Assert.Single(await nodeB.ClaimAsync(["registered"], 10, T0.AddMinutes(2)));
        Assert.Equal((job.Id, 2), (again.Id, again.Attempt));
    }

    [Fact]
    public async Task AnAdHocJobInsertedStarted_IsHeldUnderItsNodesLease_AndFailsAsLostOnceTheLeaseRunsOut()
    {
        var nodeA = CreateStore("node-a");
        var nodeB = CreateStore("node-b");
        var job = await nodeA.InsertStartedAsync(NewJob() with { Kind = "ad-hoc" }, T0);

        // Only node A holds its delegate: nobody else may run it, so a lapsed lease ends it.
        Assert.Equal((JobStatus.Running, 1), (job.Status, job.Attempt));
        Assert.Null(await nodeB.TryStartAsync(job.Id, T0.AddSeconds(1)));
        Assert.Empty(await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(29), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));

        var lost = Assert.Single(await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddSeconds(31), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None));

        Assert.Equal((job.Id, JobStatus.Failed, LeaseKeeper.NodeLost.Type), (lost.Id, lost.Status, lost.Error?.Type));
        var attempt = Assert.Single((await nodeB.GetHistoryAsync(job.Id))!.Attempts);
        Assert.Equal((1, T0, "node-a", JobAttemptOutcome.Lost), (attempt.Number, attempt.StartedAt, attempt.Node, attempt.Outcome));
    }

    [Fact]
    public async Task AJobOfANodeThatDied_WithNoAttemptsLeft_FailsAsNodeLost_OnTheNodeThatLives()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = new Handlers(new StubbornJob(started, gate), new PoliteJob(started));
        var nodeA = await StartNodeAsync(handlers);
        using var response = await nodeA.Client.PostAsJsonAsync("/api/jobs/stubborn", new StubbornRequest());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await started.Task.WaitAsync(SafetyTimeout.Value);

        // Started once the job runs on A, so it cannot have claimed it.
        var nodeB = (await StartNodeAsync(handlers)).Client;

        // Node A dies: no graceful stop, its heartbeat ends, and its job, which ignores cancellation, never reports back.
        await nodeA.App.DisposeAsync();
        _disposables.Remove(nodeA.App);

        using var waited = await nodeB.GetAsync($"/api/jobs/{id}?wait=30").WaitAsync(SafetyTimeout.Value);
        var state = await waited.Content.ReadFromJsonAsync<JsonElement>();
        gate.TrySetResult();
        Assert.Equal("Failed", state.GetProperty("status").GetString());
        Assert.Equal(LeaseKeeper.NodeLost.Type, state.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task CancelOnB_ReachesAJobOnAThatNeverReportsProgress_AtAsNextHeartbeat()
    {
        var (nodeB, id) = await StartPoliteJobOnAThenNodeBAsync(slowHeartbeat: false);

        using var cancel = await nodeB.PostAsync($"/api/jobs/{id}/cancel", content: null);
        using var waited = await nodeB.GetAsync($"/api/jobs/{id}?wait=30").WaitAsync(SafetyTimeout.Value);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Canceled", (await waited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CancelOnB_ReachesAJobOnAThatNeverReportsProgress_AtOnce_WithoutWaitingForAHeartbeat()
    {
        var (nodeB, id) = await StartPoliteJobOnAThenNodeBAsync(slowHeartbeat: true);

        // The next heartbeat is ten minutes away: only the database's announcement can reach node A in time.
        using var cancel = await nodeB.PostAsync($"/api/jobs/{id}/cancel", content: null);
        using var waited = await nodeB.GetAsync($"/api/jobs/{id}?wait=30").WaitAsync(SafetyTimeout.Value);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Canceled", (await waited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnAdHocJobWaitingInAsQueue_CancelledOnB_LeavesAsQueueAtAsNextHeartbeat()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nodeA = await TestNode.StartAsync(
            _connectionString,
            _ => { },
            jobs: options => options.MaxConcurrency = 1,
            store: options =>
            {
                options.LeaseDuration = TimeSpan.FromSeconds(1);
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            });
        _disposables.Add(nodeA);
        var scheduler = nodeA.Services.GetRequiredService<Execution.IJobScheduler>();
        var occupying = await scheduler.StartAsync(async (_, _) => await gate.Task);
        var waiting = await scheduler.StartAsync((_, _) => Task.FromResult(1));
        var nodeB = (await StartNodeAsync(new Handlers(new StubbornJob(new(), new()), new PoliteJob(new())))).Client;

        using var cancel = await nodeB.PostAsync($"/api/jobs/{waiting.Id}/cancel", content: null);

        // The slot stays taken: only the heartbeat can tell node A that its queued job is gone.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Task.WaitAsync(SafetyTimeout.Value));
        Assert.Equal(JobStatus.Canceled, waiting.Status);
        Assert.False(occupying.Task.IsCompleted);
        gate.TrySetResult();
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>Locks job <paramref name="id"/> in <paramref name="connection"/>'s transaction; without <paramref name="wait"/>, fails if another holds it.</summary>
    private static async Task LockAsync(NpgsqlConnection connection, Guid id, bool wait)
    {
        await using var command = new NpgsqlCommand($"SELECT id FROM longjobs.jobs WHERE id = @id FOR UPDATE{(wait ? "" : " NOWAIT")}", connection);
        command.Parameters.AddWithValue("id", id);
        Assert.Equal(id, await command.ExecuteScalarAsync());
    }

    /// <summary>Waits until a session running a statement that contains <paramref name="statement"/> waits for a lock.</summary>
    private static async Task WaitUntilAStatementWaitsForALockAsync(NpgsqlDataSource dataSource, string statement)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, @statement) > 0");
        command.Parameters.AddWithValue("statement", statement);
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value); // fails, not hangs, if it never waits
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Yield();
        }
    }

    private PostgreSqlJobStore CreateStore(string node)
    {
        var store = new PostgreSqlJobStore(
            Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = _connectionString, NodeName = node }),
            TimeProvider.System,
            NullLogger<PostgreSqlJobStore>.Instance);
        _disposables.Add(store);
        return store;
    }

    private static JobRecord NewJob() => new() { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = T0 };

    private static async Task<JobRecord> StartJobAsync(PostgreSqlJobStore store, DateTimeOffset? startedAt = null)
    {
        var job = await store.InsertAsync(NewJob());
        return (await store.TryStartAsync(job.Id, startedAt ?? T0))!;
    }

    /// <summary>
    /// Starts node A and a polite job on it, then node B once the job runs on A (so B cannot have claimed it).
    /// </summary>
    /// <returns>Node B's client and the job's ID.</returns>
    private async Task<(HttpClient NodeB, Guid Id)> StartPoliteJobOnAThenNodeBAsync(bool slowHeartbeat)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = new Handlers(new StubbornJob(started, new()), new PoliteJob(started));
        var nodeA = await StartNodeAsync(handlers, slowHeartbeat);
        using var response = await nodeA.Client.PostAsJsonAsync("/api/jobs/polite", new StubbornRequest());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await started.Task.WaitAsync(SafetyTimeout.Value);
        return ((await StartNodeAsync(handlers, slowHeartbeat)).Client, id);
    }

    private async Task<(WebApplication App, HttpClient Client)> StartNodeAsync(Handlers handlers, bool slowHeartbeat = false)
    {
        var app = await TestNode.StartAsync(
            _connectionString,
            longJobs => longJobs
                .AddJob<StubbornJob, StubbornRequest, StubbornResult>("stubborn", kind => kind.Retry.MaxAttempts = 1)
                .AddJob<PoliteJob, StubbornRequest, StubbornResult>("polite"),
            services => services.AddSingleton(handlers.Stubborn).AddSingleton(handlers.Polite),
            options => options.ShutdownTimeout = TimeSpan.Zero,
            options =>
            {
                options.LeaseDuration = slowHeartbeat ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(1);
                options.HeartbeatInterval = slowHeartbeat ? TimeSpan.FromMinutes(10) : TimeSpan.FromMilliseconds(100);
            });
        _disposables.Add(app);
        return (app, app.GetTestClient());
    }

    /// <summary>The job handlers a test's nodes share, so the test can see and steer the job wherever it runs.</summary>
    private sealed record Handlers(StubbornJob Stubborn, PoliteJob Polite);

    /// <summary>Ignores cancellation: it returns only when the test opens its gate.</summary>
    public sealed class StubbornJob(TaskCompletionSource started, TaskCompletionSource gate) : IJobHandler<StubbornRequest, StubbornResult>
    {
        public async Task<StubbornResult> ExecuteAsync(StubbornRequest request, JobContext context, CancellationToken cancellationToken)
        {
            started.TrySetResult();
            await gate.Task;
            return new StubbornResult();
        }
    }

    /// <summary>Honours cancellation but never reports progress.</summary>
    public sealed class PoliteJob(TaskCompletionSource started) : IJobHandler<StubbornRequest, StubbornResult>
    {
        public async Task<StubbornResult> ExecuteAsync(StubbornRequest request, JobContext context, CancellationToken cancellationToken)
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new StubbornResult();
        }
    }

    public sealed record StubbornRequest;

    public sealed record StubbornResult;
}
