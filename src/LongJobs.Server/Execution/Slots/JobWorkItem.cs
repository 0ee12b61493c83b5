using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// A job this server runs, or holds in its queue of ad-hoc jobs: its handle, its work, its cancellation and the
/// attempt that runs here.
/// </summary>
internal sealed class JobWorkItem(LongRunningJob job, JobKind? kind, Type resultType, Func<JobContext, CancellationToken, Task<object?>>? work, CancellationToken shutdown)
{
    private int _attempt;

    public LongRunningJob Job { get; } = job;

    public Guid Id => Job.Id;

    /// <summary>The registered kind, or <see langword="null"/> for an ad-hoc job.</summary>
    public JobKind? Kind { get; } = kind;

    public Type ResultType { get; } = resultType;

    /// <summary>
    /// The work; <see langword="null"/> for a claimed job of a registered kind until its run reads its stored request,
    /// so a request that cannot be read fails the job like any failure of its work.
    /// </summary>
    public Func<JobContext, CancellationToken, Task<object?>>? Work { get; set; } = work;

    /// <summary>Signalled by a cancel request, by host shutdown, or when the job no longer runs here; every attempt's token follows it.</summary>
    public CancellationTokenSource Cancellation { get; } = CancellationTokenSource.CreateLinkedTokenSource(shutdown);

    /// <summary>The attempt that runs here; the store accepts progress and the outcome only from it.</summary>
    public int Attempt
    {
        get => Volatile.Read(ref _attempt);
        set => Volatile.Write(ref _attempt, value);
    }

    /// <summary>The item's place in the queue of ad-hoc jobs while it waits; guarded by the <see cref="SlotPool"/>'s lock.</summary>
    public LinkedListNode<JobWorkItem>? QueueNode { get; set; }

    /// <summary>Whether the item holds an execution slot; guarded by the <see cref="SlotPool"/>'s lock.</summary>
    public bool IsRunning { get; set; }

    /// <summary>
    /// Signals the job's token on behalf of <paramref name="attempt"/>, if that attempt still runs here: an attempt
    /// that timed out and went on in the background cannot stop the attempt that replaced it.
    /// </summary>
    public Task CancelAttemptAsync(int attempt) => attempt == Attempt ? CancelAsync() : Task.CompletedTask;

    /// <summary>Signals the job's token; a no-op once the item has finished and its source is disposed.</summary>
    public async Task CancelAsync()
    {
        try
        {
            await Cancellation.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The job finished meanwhile: nothing left to cancel.
        }
    }
}
