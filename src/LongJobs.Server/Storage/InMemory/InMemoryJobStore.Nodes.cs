using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The nodes alive (<see cref="IJobNodes"/>): this store lives in one process, the one node, named as its attempts name it.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<IReadOnlyList<JobNode>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var running = _jobs.Values.Count(entry => entry.Current.Status == JobStatus.Running);
        return ValueTask.FromResult<IReadOnlyList<JobNode>>([new JobNode(Node, running, InMemorySince, time.GetUtcNow())]);
    }
}
