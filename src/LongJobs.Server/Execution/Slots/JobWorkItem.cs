using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// A job this server runs, or holds in its queue of ad-hoc jobs: its handle, its cancellation, the attempt that runs
/// here, and its work, which each kind of item runs in its own way (<see cref="AdHocWorkItem{TResult}"/>,
/// <see cref="AdHocWorkItem"/>, <see cref="ClaimedWorkItem"/>) without a delegate of its own.
/// </summary>
internal abstract class JobWorkItem(LongRunningJob job, JobKind? kind) : IThreadPoolWorkItem
{
    private int _attempt;
    private bool _superseded;
    private bool _hasLogLines;
    private Action<JobWorkItem, JobRecord?>? _run;
    private JobRecord? _started;
    private ExecutionContext? _context;

    public LongRunningJob Job { get; } = job;

    public Guid Id => Job.Id;

    /// <summary>The registered kind, or <see langword="null"/> for an ad-hoc job.</summary>
    public JobKind? Kind { get; } = kind;

    /// <summary>The type of what the work returns.</summary>
    public abstract Type ResultType { get; }

    /// <summary>
    /// Signalled by a cancel request, by the host's shutdown (through <see cref="SlotPool.CancelAll"/>), or when the job
    /// no longer runs here; every attempt's token follows it.
    /// </summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The attempt that runs here; the store accepts progress and the outcome only from it.</summary>
    public int Attempt
    {
        get => Volatile.Read(ref _attempt);
        set => Volatile.Write(ref _attempt, value);
    }

    /// <summary>Whether the job wrote to its log here: its lines are written to the store before its outcome.</summary>
    public bool HasLogLines
    {
        get => Volatile.Read(ref _hasLogLines);
        set => Volatile.Write(ref _hasLogLines, value);
    }

    /// <summary>Whether the item waits in the ad-hoc queue; guarded by the <see cref="SlotPool"/>'s lock.</summary>
    public bool IsWaiting { get; set; }

    /// <summary>Whether the item holds an execution slot; guarded by the <see cref="SlotPool"/>'s lock.</summary>
    public bool IsRunning { get; set; }

    /// <summary>
    /// Whether the item gave its slot back when its work ended, while its outcome is written (one of the pool's bounded
    /// number of such jobs); guarded by the <see cref="SlotPool"/>'s lock.
    /// </summary>
    public bool IsWriting { get; set; }

    /// <summary>
    /// Whether a later attempt of the job, claimed here, took the job over from this item: its run then neither frees a
    /// slot nor completes the handle, which the later attempt holds. Set under the <see cref="SlotPool"/>'s lock.
    /// </summary>
    public bool IsSuperseded
    {
        get => Volatile.Read(ref _superseded);
        set => Volatile.Write(ref _superseded, value);
    }

    /// <summary>
    /// Queues <paramref name="run"/> of this item to the thread pool, as <see cref="ThreadPool.QueueUserWorkItem(WaitCallback)"/>
    /// would (in the execution context of the caller), with the item itself as the work item: nothing to allocate.
    /// </summary>
    /// <param name="run">What runs the job; <paramref name="started"/> is its running state when it is started already.</param>
    /// <param name="started">The running state of a job claimed or started already.</param>
    public void QueueRun(Action<JobWorkItem, JobRecord?> run, JobRecord? started)
    {
        _run = run;
        _started = started;
        _context = ExecutionContext.Capture();
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        var context = _context;
        _context = null;
        if (context is null)
        {
            Run();
        }
        else
        {
            ExecutionContext.Run(context, static item => ((JobWorkItem)item!).Run(), this);
        }
    }

    /// <summary>Runs the work once, for one attempt.</summary>
    /// <returns>What the work returned.</returns>
    public abstract ValueTask<object?> RunWorkAsync(JobContext context, CancellationToken cancellationToken);

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

    private void Run()
    {
        var started = _started;
        _started = null;
        _run!(this, started);
    }

    /// <summary>Signals the job's token at once, as the host stops; a no-op once the item has finished.</summary>
    public void Cancel()
    {
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The job finished meanwhile: nothing left to cancel.
        }
        catch (AggregateException)
        {
            // What the job's own code registered on its token threw: the job's run deals with its cancellation.
        }
    }
}

/// <summary>An ad-hoc job that returns a <typeparamref name="TResult"/>.</summary>
internal sealed class AdHocWorkItem<TResult>(LongRunningJob<TResult> job, Func<JobContext, CancellationToken, Task<TResult>> work) : JobWorkItem(job, kind: null)
{
    public override Type ResultType => typeof(TResult);

    public override async ValueTask<object?> RunWorkAsync(JobContext context, CancellationToken cancellationToken) =>
        await work(context, cancellationToken).ConfigureAwait(false);
}

/// <summary>An ad-hoc job that returns nothing.</summary>
internal sealed class AdHocWorkItem(LongRunningJob<object?> job, Func<JobContext, CancellationToken, Task> work) : JobWorkItem(job, kind: null)
{
    public override Type ResultType => typeof(object);

    public override async ValueTask<object?> RunWorkAsync(JobContext context, CancellationToken cancellationToken)
    {
        await work(context, cancellationToken).ConfigureAwait(false);
        return null;
    }
}

/// <summary>A job of a registered kind that this server claimed; its work is bound once its run has read the stored request.</summary>
internal sealed class ClaimedWorkItem(LongRunningJob job, JobKind kind) : JobWorkItem(job, kind)
{
    private Func<JobContext, CancellationToken, Task<object?>>? _work;

    public override Type ResultType => Kind!.ResultType;

    /// <summary>Whether the work is bound to its request.</summary>
    public bool IsBound => _work is not null;

    /// <summary>Binds the work to the job's request.</summary>
    public void Bind(Func<JobContext, CancellationToken, Task<object?>> work) => _work = work;

    public override ValueTask<object?> RunWorkAsync(JobContext context, CancellationToken cancellationToken) =>
        new(_work!(context, cancellationToken));
}
