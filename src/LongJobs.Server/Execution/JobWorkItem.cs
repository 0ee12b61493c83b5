using LongJobs.Server.Jobs;

namespace LongJobs.Server.Execution;

/// <summary>A job the scheduler has accepted: its handle, its work, and where it is in the queue.</summary>
internal sealed class JobWorkItem(LongRunningJob job, Type resultType, Func<JobContext, CancellationToken, Task<object?>> work, CancellationToken shutdown)
{
    public LongRunningJob Job { get; } = job;

    public Guid Id => Job.Id;

    public Type ResultType { get; } = resultType;

    public Func<JobContext, CancellationToken, Task<object?>> Work { get; } = work;

    /// <summary>Signalled by a cancel request or by host shutdown.</summary>
    public CancellationTokenSource Cancellation { get; } = CancellationTokenSource.CreateLinkedTokenSource(shutdown);

    /// <summary>The item's place in the queue while it waits; guarded by the scheduler's lock.</summary>
    public LinkedListNode<JobWorkItem>? QueueNode { get; set; }

    /// <summary>Whether the item holds an execution slot; guarded by the scheduler's lock.</summary>
    public bool IsRunning { get; set; }
}
