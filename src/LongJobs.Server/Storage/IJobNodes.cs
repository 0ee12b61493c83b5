namespace LongJobs.Server.Storage;

/// <summary>
/// The servers (nodes) alive that use the store, each with its running jobs, a role of <see cref="IJobStore"/> that the
/// dashboard's overview reads. A store no other server shares knows one node: the one it runs in.
/// </summary>
public interface IJobNodes
{
    /// <summary>Reads the nodes alive now.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The nodes alive, by name.</returns>
    ValueTask<IReadOnlyList<JobNode>> GetNodesAsync(CancellationToken cancellationToken = default);
}

/// <summary>A server alive that uses the store.</summary>
/// <param name="Name">The node's name, as a job's attempts name it.</param>
/// <param name="RunningJobs">How many jobs it runs.</param>
/// <param name="StartedAt">When it started using the store, when known.</param>
/// <param name="LastHeartbeatAt">When it last said it was alive, when known (a node of an earlier version only renews its jobs' leases).</param>
public sealed record JobNode(string Name, int RunningJobs, DateTimeOffset? StartedAt, DateTimeOffset? LastHeartbeatAt);
