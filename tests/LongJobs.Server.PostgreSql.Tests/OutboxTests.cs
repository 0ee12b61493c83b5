using System.Collections.Concurrent;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Leases;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SafetyTimeout = LongJobs.Server.Tests.Support.SafetyTimeout;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// The outbox in PostgreSQL, beyond the contract: a trigger fills it whichever statement finishes a job (a lost node's
/// jobs too), claims from many nodes at once never share a job, claims and releases stay invisible to users, and
/// retention keeps a job until its notifications are done.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class OutboxTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private static readonly JobNotifications Webhook = new() { CallbackUrl = "https://example.com/hooks/jobs" };

    private readonly List<IAsyncDisposable> _disposables = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    [Fact]
    public async Task RecoverJobsOfLostNodes_AJobItEnds_EntersTheOutboxDueAtOnce_AndAJobItRequeuesDoesNot()
    {
        var nodeA = CreateStore("node-a");
        var nodeB = CreateStore("node-b");
        var running = await nodeA.InsertAsync(NewJob() with { Notifications = Webhook });
        await nodeA.TryStartAsync(running.Id, T0);
        var waiting = await nodeA.InsertAsync(NewJob() with { Notifications = Webhook });
        var registered = await nodeA.InsertAsync(NewJob() with { Notifications = Webhook, Request = JsonSerializer.SerializeToElement(new { n = 1 }), MaxAttempts = 3 });
        Assert.Single(await nodeA.ClaimAsync(["k"], 1, T0));
        var lostAt = T0.AddMinutes(5);

        var recovered = await nodeB.Leases.RecoverJobsOfLostNodesAsync(lostAt, TimeSpan.FromSeconds(30), LeaseKeeper.NodeLost, CancellationToken.None);

        Assert.Equal(3, recovered.Count);
        Assert.Equal(JobStatus.Queued, Assert.Single(recovered, job => job.Id == registered.Id).Status);
        Assert.Empty(await nodeB.ClaimDueNotificationsAsync(Guid.NewGuid(), lostAt - TimeSpan.FromMilliseconds(1), Lease, limit: 10));
        var claimed = await nodeB.ClaimDueNotificationsAsync(Guid.NewGuid(), lostAt, Lease, limit: 10);
        Assert.Equal(new[] { running.Id, waiting.Id }.Order(), claimed.Select(job => job.Id).Order());
        Assert.All(claimed, job => Assert.Equal(JobStatus.Failed, job.Status));
    }

    [Fact]
    public async Task ClaimDueNotifications_ByManyClaimantsOnManyNodesAtOnce_NeverTakesAJobTwice()
    {
        const int Jobs = 300;
        var nodes = Enumerable.Range(0, 4).Select(node => CreateStore("node-" + node)).ToList();
        await nodes[0].MigrateAsync();
        await ExecuteAsync($$"""
            INSERT INTO longjobs.jobs (id, kind, status, created_at, notifications)
            SELECT gen_random_uuid(), 'k', 'Queued', '{{T0:O}}', '{"callbackUrl": "https://example.com/hooks/jobs"}'
            FROM generate_series(1, {{Jobs}});
            UPDATE longjobs.jobs SET status = 'Succeeded', completed_at = '{{T0:O}}', version = version + 1;
            """);
        var claimed = new ConcurrentBag<Guid>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Four claimants per node, each claiming small batches until nothing is left.
        var claimants = nodes.SelectMany(node => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var claimant = Guid.NewGuid();
            await start.Task;
            IReadOnlyList<JobRecord> batch;
            do
            {
                batch = await node.ClaimDueNotificationsAsync(claimant, T0.AddSeconds(1), Lease, limit: 7);
                foreach (var job in batch)
                {
                    claimed.Add(job.Id);
                }
            }
            while (batch.Count > 0);
        }))).ToList();
        start.SetResult();
        await Task.WhenAll(claimants).WaitAsync(SafetyTimeout.Value);

        Assert.Equal(Jobs, claimed.Count);
        Assert.Equal(Jobs, claimed.Distinct().Count());
    }

    [Fact]
    public async Task ClaimAndRelease_ChangeNoVersion_AndAnnounceNothing()
    {
        var store = CreateStore("node-a");
        var job = await FinishAsync(store, T0, Webhook);
        var other = await FinishAsync(store, T0, Webhook);
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var listener = await dataSource.OpenConnectionAsync();
        var payloads = new List<string>();
        listener.Notification += (_, notification) => payloads.Add(notification.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN longjobs_job_changes", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var claimant = Guid.NewGuid();
        Assert.Equal(2, (await store.ClaimDueNotificationsAsync(claimant, T0, Lease, limit: 10)).Count);
        await store.ReleaseNotificationsAsync(job.Id, claimant, T0.AddMinutes(1));
        await store.ReleaseNotificationsAsync(other.Id, claimant, nextDueAt: null);
        var recorded = await store.RecordDeliveryAsync(other.Id, new NotificationDelivery { Channel = NotificationChannels.Webhook, Status = NotificationDeliveryStatus.Delivered, Attempts = 1 });
        await listener.WaitAsync(SafetyTimeout.Value);

        // Notifications arrive in commit order: the first one is the recorded delivery's.
        Assert.Equal(other.Id.ToString(), payloads[0]);
        Assert.Equal(job.Version, (await store.GetAsync(job.Id))!.Version);
        Assert.Equal(other.Version + 1, recorded!.Version);
    }

    [Fact]
    public async Task Retention_KeepsAFinishedJobWhileItsNotificationsAreDue_AndRemovesItOnceTheyAreReleased()
    {
        var store = CreateStore("node-a");
        var notified = await FinishAsync(store, T0, Webhook);
        var silent = await FinishAsync(store, T0, notifications: null);
        var claimant = Guid.NewGuid();

        Assert.Equal(1, await store.DeleteFinishedAsync(T0.AddDays(2), keepAtMost: 0));
        Assert.Null(await store.GetAsync(silent.Id));

        // A failed attempt: due again in a day.
        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0, Lease, limit: 10));
        await store.ReleaseNotificationsAsync(notified.Id, claimant, T0.AddDays(1));
        Assert.Equal(0, await store.DeleteFinishedAsync(T0.AddDays(2), keepAtMost: 0));
        Assert.NotNull(await store.GetAsync(notified.Id));

        Assert.Single(await store.ClaimDueNotificationsAsync(claimant, T0.AddDays(1), Lease, limit: 10));
        await store.ReleaseNotificationsAsync(notified.Id, claimant, nextDueAt: null);
        Assert.Equal(1, await store.DeleteFinishedAsync(T0.AddDays(2), keepAtMost: 0));
        Assert.Null(await store.GetAsync(notified.Id));
    }

    [Fact]
    public async Task DeleteFinished_ByCount_CountsAJobWithDueNotificationsAmongTheKept_AndKeepsItBeyondThem()
    {
        var store = CreateStore("node-a");
        var oldest = await FinishAsync(store, T0.AddSeconds(1), notifications: null);
        var dueBeyond = await FinishAsync(store, T0.AddSeconds(2), Webhook);
        var older = await FinishAsync(store, T0.AddSeconds(3), notifications: null);
        var dueNewest = await FinishAsync(store, T0.AddSeconds(4), Webhook);

        var removed = await store.DeleteFinishedAsync(DateTimeOffset.MinValue, keepAtMost: 2);

        // The newest two are dueNewest and older; of the rest, only the one without due notifications goes.
        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(oldest.Id));
        Assert.NotNull(await store.GetAsync(dueBeyond.Id));
        Assert.NotNull(await store.GetAsync(older.Id));
        Assert.NotNull(await store.GetAsync(dueNewest.Id));
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    private static JobRecord NewJob() => new() { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = T0 };

    /// <summary>Inserts, runs and finishes a job that asks for <paramref name="notifications"/>.</summary>
    private static async Task<JobRecord> FinishAsync(PostgreSqlJobStore store, DateTimeOffset finishedAt, JobNotifications? notifications)
    {
        var job = await store.InsertAsync(NewJob() with { Notifications = notifications });
        await store.TryStartAsync(job.Id, T0);
        return (await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Succeeded, finishedAt)))!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
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
}
