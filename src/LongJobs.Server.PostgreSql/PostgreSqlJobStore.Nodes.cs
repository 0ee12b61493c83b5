using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Leases;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// The nodes alive (<see cref="IJobNodes"/>): those whose heartbeat (<see cref="NodeHeartbeats"/>) is not older than a
/// lease, and those holding running jobs under a live lease, each with its running jobs.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private NodeHeartbeats? _nodeHeartbeats;

    /// <summary>The nodes' own heartbeats, which the <see cref="LeaseKeeper"/> writes.</summary>
    internal NodeHeartbeats NodeHeartbeats => _nodeHeartbeats ??= new NodeHeartbeats(_database);

    public async ValueTask<IReadOnlyList<JobNode>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        return await _database.ExecuteAsync(
            "ListNodes",
            Repeat.Safe,
            static async (command, token) =>
            {
                var nodes = new List<JobNode>();
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    nodes.Add(new JobNode(
                        reader.GetString(0),
                        reader.GetInt32(1),
                        reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
                }

                return (IReadOnlyList<JobNode>)nodes;
            },
            cancellationToken,
            Parameter.Timestamp("now", now),
            Parameter.Timestamp("alive_after", now - _leaseDuration)).ConfigureAwait(false);
    }
}
