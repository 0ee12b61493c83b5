using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using Npgsql;
using NpgsqlTypes;

namespace LongJobs.Server.PostgreSql.Leases;

/// <summary>
/// The leases under which nodes hold their running jobs (and the ad-hoc jobs waiting in their queues): renewed by each
/// node's heartbeat, and the way the jobs of a node that stopped renewing are taken back. Not part of
/// <see cref="IJobStore"/>: the <see cref="LeaseKeeper"/> of this store uses it.
/// </summary>
/// <param name="database">Runs the statements.</param>
/// <param name="finished">Announces a job that a recovery finished, as the store does for its own statements.</param>
internal sealed class JobLeases(JobDatabase database, Action<JobRecord> finished)
{
    /// <summary>
    /// A node's heartbeat at <paramref name="now"/>: holds its running jobs <paramref name="ids"/> until <paramref name="leaseExpiresAt"/>.
    /// Safe to repeat: a repeat sets the same lease.
    /// </summary>
    /// <returns>The jobs among them that this node still holds, and whether someone asked to cancel each.</returns>
    public Task<List<(Guid Id, bool CancellationRequested)>> RenewAsync(string node, IReadOnlyCollection<Guid> ids, DateTimeOffset now, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "RenewLeases",
            Repeat.Safe,
            static async (command, token) =>
            {
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                var renewed = new List<(Guid, bool)>();
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    renewed.Add((reader.GetGuid(0), reader.GetBoolean(1)));
                }

                return renewed;
            },
            cancellationToken,
            Parameter.Text("node", node),
            Parameter.Uuids("ids", ids),
            Parameter.Timestamp("lease_expires_at", leaseExpiresAt),
            Parameter.Timestamp("heartbeat_at", now));

    /// <summary>
    /// Recovers the running jobs whose node stopped renewing their lease, or never took one within
    /// <paramref name="startGrace"/> of starting: jobs of registered kinds with attempts left go back to the queue,
    /// the others end (failed with <paramref name="error"/>, or cancelled when asked to).
    /// </summary>
    /// <returns>The jobs it recovered, in their new state.</returns>
    public async Task<IReadOnlyList<JobRecord>> RecoverJobsOfLostNodesAsync(DateTimeOffset now, TimeSpan startGrace, JobError error, CancellationToken cancellationToken)
    {
        var recovered = await database.QueryJobsAsync(
            "RecoverJobsOfLostNodes",
            Repeat.OnlyIfUnsent,
            cancellationToken,
            Parameter.Timestamp("now", now),
            new NpgsqlParameter("start_grace", NpgsqlDbType.Interval) { Value = startGrace },
            Parameter.Json("error", JobRows.ToStoredJson(error))).ConfigureAwait(false);
        foreach (var job in recovered)
        {
            finished(job);
        }

        return recovered;
    }
}
