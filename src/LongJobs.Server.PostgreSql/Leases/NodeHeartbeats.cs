using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Sql;

namespace LongJobs.Server.PostgreSql.Leases;

/// <summary>
/// Each node's own heartbeat (table <c>node_heartbeats</c>), written by its <see cref="LeaseKeeper"/> beside the renewal of
/// its jobs' leases, idle or not: what tells the overview which nodes are alive. Not part of the store's contract.
/// </summary>
/// <param name="database">Runs the statements.</param>
internal sealed class NodeHeartbeats(JobDatabase database)
{
    /// <summary>How long the row of a node that stopped without saying so stays, before other nodes' heartbeats remove it.</summary>
    internal static readonly TimeSpan ForgetAfter = TimeSpan.FromDays(1);

    /// <summary>Says that <paramref name="node"/>, started at <paramref name="startedAt"/>, is alive at <paramref name="now"/>. Safe to repeat.</summary>
    public Task BeatAsync(string node, DateTimeOffset startedAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "BeatNode",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Text("node", node),
            Parameter.Timestamp("started_at", startedAt),
            Parameter.Timestamp("now", now),
            Parameter.Timestamp("forget_before", now - ForgetAfter));

    /// <summary>Says that <paramref name="node"/> stops: it is no longer alive. Safe to repeat.</summary>
    public Task LeaveAsync(string node, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "LeaveNode",
            Repeat.Safe,
            static async (command, token) => await command.ExecuteNonQueryAsync(token).ConfigureAwait(false),
            cancellationToken,
            Parameter.Text("node", node));
}
