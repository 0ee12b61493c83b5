namespace LongJobs.Server.Tests.Support;

/// <summary>
/// Runs every task it is given at once, on the thread that queues it. A continuation on this scheduler runs
/// inside the code that completes the antecedent, so it sees exactly the state that code has published.
/// </summary>
public sealed class SynchronousTaskScheduler : TaskScheduler
{
    public static SynchronousTaskScheduler Instance { get; } = new();

    protected override void QueueTask(Task task) => TryExecuteTask(task);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => [];
}
