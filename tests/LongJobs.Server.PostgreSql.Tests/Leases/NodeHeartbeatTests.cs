using LongJobs.Server.PostgreSql.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Server.PostgreSql.Tests.Leases;

/// <summary>The nodes alive (<see cref="Storage.IJobNodes"/>): each node's heartbeat, idle or not, and the running jobs' leases.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class NodeHeartbeatTests(PostgreSqlServer server)
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetNodes_ShowsNodesWhoseHeartbeatIsWithinALease_IdleOrNot_WithTheirRunningJobs_UntilTheyLeave()
    {
        var database = await server.CreateDatabaseAsync();
        var time = new FakeTimeProvider(T0);
        await using var web1 = Store(database, "web-1", time);
        await using var web2 = Store(database, "web-2", time);
        await using var gone = Store(database, "web-gone", time);
        await web1.MigrateAsync();
        await gone.NodeHeartbeats.BeatAsync("web-gone", T0.AddHours(-1), T0.AddMinutes(-1), default);
        await web1.NodeHeartbeats.BeatAsync("web-1", T0.AddHours(-1), T0, default);
        await web2.NodeHeartbeats.BeatAsync("web-2", T0.AddMinutes(-5), T0, default);
        var job = await web1.InsertAsync(new Storage.JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = T0 });
        await web1.TryStartAsync(job.Id, T0);

        var nodes = await web2.GetNodesAsync();
        await web2.NodeHeartbeats.LeaveAsync("web-2", default);
        var afterLeaving = await web1.GetNodesAsync();

        Assert.Equal([("web-1", 1, T0.AddHours(-1)), ("web-2", 0, T0.AddMinutes(-5))], nodes.Select(node => (node.Name, node.RunningJobs, node.StartedAt!.Value)));
        Assert.All(nodes, node => Assert.Equal(T0, node.LastHeartbeatAt));
        Assert.Equal(["web-1"], afterLeaving.Select(node => node.Name));
    }

    [Fact]
    public async Task GetNodes_ShowsANodeWithoutHeartbeats_ByItsRunningJobsLiveLeases()
    {
        var database = await server.CreateDatabaseAsync();
        var time = new FakeTimeProvider(T0);
        await using var previousVersion = Store(database, "web-old", time);
        await previousVersion.MigrateAsync();
        var job = await previousVersion.InsertAsync(new Storage.JobRecord { Id = Guid.CreateVersion7(), Kind = "k", CreatedAt = T0 });
        await previousVersion.TryStartAsync(job.Id, T0);

        var whileLeased = await previousVersion.GetNodesAsync();
        time.Advance(TimeSpan.FromMinutes(1));
        var afterTheLease = await previousVersion.GetNodesAsync();

        var node = Assert.Single(whileLeased);
        Assert.Equal(("web-old", 1, (DateTimeOffset?)null), (node.Name, node.RunningJobs, node.LastHeartbeatAt));
        Assert.Empty(afterTheLease);
    }

    private static PostgreSqlJobStore Store(string database, string node, TimeProvider time) =>
        new(Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = database, NodeName = node }), time, NullLogger<PostgreSqlJobStore>.Instance);
}
