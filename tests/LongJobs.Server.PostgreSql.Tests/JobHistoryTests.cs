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
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// The history on PostgreSQL beyond the conformance suite: a lost node's attempt recorded by the recovery that takes its
/// job back, the next run on another node, and the rows going with the job.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobHistoryTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IAsyncDisposable> _disposables = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    [Fact]
    public async Task RecoverJobsOfLostNodes_RecordsTheLostAttempt_WithItsNodeAndError_AndTheNextRunOnAnotherNode()
    {
        var nodeA = CreateStore("node-a");
        var nodeB = CreateStore("node-b");
        var requeued = await nodeA.InsertAsync(NewRegisteredJob(maxAttempts: 2));
        var lastAttempt = await nodeA.InsertAsync(NewRegisteredJob(maxAttempts: 1));
        Assert.Equal(2, (await nodeA.ClaimAsync(["registered"], 10, T0)).Count);

        var recovered = await nodeB.Leases.RecoverJobsOfLostNodesAsync(T0.AddMinutes(1), TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None);

        Assert.Equal(2, recovered.Count);
        foreach (var id in new[] { requeued.Id, lastAttempt.Id })
        {
            var lost = Assert.Single((await nodeB.GetHistoryAsync(id))!.Attempts);
            Assert.Equal((1, T0, T0.AddMinutes(1), "node-a", JobAttemptOutcome.Lost, LeaseKeeper.NodeLost), (lost.Number, lost.StartedAt, lost.EndedAt, lost.Node, lost.Outcome, lost.Error));
        }

        Assert.Equal(JobStatus.Failed, (await nodeB.GetAsync(lastAttempt.Id))!.Status);
        Assert.Single(await nodeB.ClaimAsync(["registered"], 10, T0.AddMinutes(2)));
        await nodeB.TryFinishAsync(requeued.Id, JobStatus.Running, 2, new JobOutcome(JobStatus.Succeeded, T0.AddMinutes(3)));

        var attempts = (await nodeA.GetHistoryAsync(requeued.Id))!.Attempts;
        Assert.Equal([JobAttemptOutcome.Lost, JobAttemptOutcome.Succeeded], attempts.Select(attempt => attempt.Outcome!.Value));
        Assert.Equal((2, T0.AddMinutes(2), T0.AddMinutes(3), "node-b"), (attempts[1].Number, attempts[1].StartedAt, attempts[1].EndedAt, attempts[1].Node));
    }

    [Fact]
    public async Task AJobOfANodeThatDied_ShowsOnTheNodeThatLives_ItsLostAttemptAndTheLinesItLoggedThere()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = new LoggingStubbornJob(started, gate);
        var nodeA = await StartNodeAsync(job, "node-a");
        using var response = await nodeA.GetTestClient().PostAsJsonAsync("/api/jobs/stubborn", new StubbornRequest());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await started.Task.WaitAsync(SafetyTimeout.Value);
        await UntilLoggedAsync(nodeA, id);
        var nodeB = await StartNodeAsync(job, "node-b");

        // Node A dies: no graceful stop, its heartbeat ends, and its job, which ignores cancellation, never reports back.
        await nodeA.DisposeAsync();
        _disposables.Remove(nodeA);
        await TestNode.WaitUntilAsync(nodeB, id);
        gate.TrySetResult();

        using var read = await nodeB.GetTestClient().GetAsync(new Uri($"/api/jobs/{id}/history", UriKind.Relative)).WaitAsync(SafetyTimeout.Value);
        var history = await read.Content.ReadFromJsonAsync<JsonElement>();
        var attempt = Assert.Single(history.GetProperty("attempts").EnumerateArray());
        Assert.Equal("Lost", attempt.GetProperty("outcome").GetString());
        Assert.Equal("node-a", attempt.GetProperty("node").GetString());
        Assert.Equal(LeaseKeeper.NodeLost.Type, attempt.GetProperty("error").GetProperty("type").GetString());
        var line = Assert.Single(history.GetProperty("log").EnumerateArray());
        Assert.Equal(("Information", "Started on node-a.", 1), (line.GetProperty("level").GetString(), line.GetProperty("message").GetString(), line.GetProperty("attempt").GetInt32()));
    }

    [Fact]
    public async Task TheHistoryRows_GoWithTheirJob()
    {
        var store = CreateStore("node-a");
        var job = await store.InsertAsync(NewRegisteredJob(maxAttempts: 1));
        await store.ClaimAsync(["registered"], 1, T0);
        await store.AppendLogAsync([new(job.Id, new JobLogLine(T0, LogLevel.Information, 1, "line"))], keepLast: 10);
        await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Succeeded, T0.AddSeconds(1)));

        Assert.True(await store.TryDeleteFinishedAsync(job.Id));

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM longjobs.job_attempts) + (SELECT count(*) FROM longjobs.job_log)", connection);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>Waits until the job's line, written on <paramref name="node"/>, reached the store (the writer flushes it within its interval).</summary>
    private static async Task UntilLoggedAsync(WebApplication node, Guid id)
    {
        var store = node.Services.GetRequiredService<IJobHistory>();
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        while ((await store.GetHistoryAsync(id, timeout.Token))!.Log.Count == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
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

    private async Task<WebApplication> StartNodeAsync(LoggingStubbornJob job, string node)
    {
        var app = await TestNode.StartAsync(
            _connectionString,
            longJobs => longJobs.AddJob<LoggingStubbornJob, StubbornRequest, StubbornResult>("stubborn", kind => kind.Retry.MaxAttempts = 1),
            services => services.AddSingleton(job),
            options =>
            {
                options.ShutdownTimeout = TimeSpan.Zero;
                options.LogWriteInterval = TimeSpan.FromMilliseconds(50);
            },
            options =>
            {
                options.NodeName = node;
                options.LeaseDuration = TimeSpan.FromSeconds(1);
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            });
        _disposables.Add(app);
        return app;
    }

    private static JobRecord NewRegisteredJob(int maxAttempts) => new()
    {
        Id = Guid.CreateVersion7(),
        Kind = "registered",
        CreatedAt = T0,
        Request = JsonSerializer.SerializeToElement(new { }),
        MaxAttempts = maxAttempts,
    };

    /// <summary>Logs where it runs, then ignores cancellation: it returns only when the test opens its gate.</summary>
    public sealed class LoggingStubbornJob(TaskCompletionSource started, TaskCompletionSource gate) : IJobHandler<StubbornRequest, StubbornResult>
    {
        public async Task<StubbornResult> ExecuteAsync(StubbornRequest request, JobContext context, CancellationToken cancellationToken)
        {
            context.Log(LogLevel.Information, started.Task.IsCompleted ? "Started again." : "Started on node-a.");
            started.TrySetResult();
            await gate.Task;
            return new StubbornResult();
        }
    }

    public sealed record StubbornRequest;

    public sealed record StubbornResult;
}
