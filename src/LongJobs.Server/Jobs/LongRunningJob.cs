namespace LongJobs.Server.Jobs;

/// <summary>
/// A job started in this process: its ID, the task that completes when it finishes, and a live view of its
/// state. Use it to list and inspect jobs whatever their result type; <see cref="LongRunningJob{TResult}"/>
/// adds the typed result.
/// </summary>
public abstract class LongRunningJob
{
    private IJobSnapshotSource _stored;

    private protected LongRunningJob(IJobSnapshotSource stored) => _stored = stored;

    /// <summary>The job's unique identifier: send it to the client, which uses it to ask for the job's state.</summary>
    public Guid Id => Stored.Id;

    /// <summary>The job kind's name.</summary>
    public string Kind => Stored.Kind;

    /// <summary>
    /// Completes when the job finishes: successfully, faulted with the job's exception, or cancelled. Use a
    /// continuation on it for server-side follow-up work.
    /// </summary>
    public Task Task => CompletionTask;

    /// <summary>
    /// A snapshot of the job's latest state. Each read makes a new snapshot; the other properties read the latest state
    /// without one.
    /// </summary>
    public JobSnapshot State => Stored.ToSnapshot();

    /// <summary>Where the job is in its lifecycle.</summary>
    public JobStatus Status => Stored.Status;

    /// <summary>Completed fraction of the work, from 0 to 1.</summary>
    public double Progress => Stored.Progress;

    /// <summary>The job's last progress message, if any.</summary>
    public string? ProgressMessage => Stored.ProgressMessage;

    /// <summary>When the job was accepted.</summary>
    public DateTimeOffset CreatedAt => Stored.CreatedAt;

    /// <summary>When the job started running, once it has.</summary>
    public DateTimeOffset? StartedAt => Stored.StartedAt;

    /// <summary>When the job finished, once it has.</summary>
    public DateTimeOffset? CompletedAt => Stored.CompletedAt;

    /// <summary>Why the job failed, or why it was cancelled when the server stopped it (shutdown).</summary>
    public JobError? Error => Stored.Error;

    /// <summary>The job's latest state as its store holds it: what the scheduler writes from.</summary>
    internal IJobSnapshotSource Stored => Volatile.Read(ref _stored);

    private protected abstract Task CompletionTask { get; }

    /// <summary>Replaces the stored state unless a newer one is already in place.</summary>
    internal void Update(IJobSnapshotSource next)
    {
        var current = Volatile.Read(ref _stored);
        while (next.Version > current.Version)
        {
            var seen = Interlocked.CompareExchange(ref _stored, next, current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Replaces the snapshot the job was created with, not yet stored, by the one the store recorded when it queued the
    /// job (of the same version); a later snapshot already in place stays.
    /// </summary>
    internal void Recorded(IJobSnapshotSource unstored, IJobSnapshotSource stored) => Interlocked.CompareExchange(ref _stored, stored, unstored);

    /// <summary>Records the final snapshot and completes <see cref="Task"/> to match it.</summary>
    /// <param name="final">The finished snapshot.</param>
    /// <param name="result">The value the work returned, when it succeeded.</param>
    /// <param name="exception">The exception the work threw, when it failed.</param>
    internal abstract void Complete(IJobSnapshotSource final, object? result, Exception? exception);
}

/// <summary>A job started in this process that produces a <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The type of the job's result.</typeparam>
public sealed class LongRunningJob<TResult> : LongRunningJob
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TResult? _result;

    internal LongRunningJob(IJobSnapshotSource state)
        : base(state)
    {
    }

    /// <summary>
    /// Completes with the job's result when it succeeds, faults with the job's exception when it fails, and is
    /// cancelled when the job is cancelled.
    /// </summary>
    public new Task<TResult> Task => _completion.Task;

    /// <summary>The job's result.</summary>
    /// <exception cref="InvalidOperationException">The job has not <see cref="JobStatus.Succeeded"/>.</exception>
    public TResult Result => Status == JobStatus.Succeeded
        ? _result!
        : throw new InvalidOperationException($"Job '{Id}' has no result: its status is {Status}.");

    private protected override Task CompletionTask => _completion.Task;

    internal override void Complete(IJobSnapshotSource final, object? result, Exception? exception)
    {
        // Publish the result, then the final snapshot, then complete Task: continuations of Task may run
        // before this method returns, and whoever sees Succeeded must find the result.
        if (final.Status == JobStatus.Succeeded)
        {
            _result = (TResult)result!;
        }

        Update(final);
        switch (final.Status)
        {
            case JobStatus.Succeeded:
                _completion.TrySetResult(_result!);
                break;
            case JobStatus.Failed:
                _completion.TrySetException(exception ?? new InvalidOperationException(final.Error?.Detail ?? final.Error?.Title));

                // Nobody has to await a failed job: mark its exception observed so it never surfaces as
                // TaskScheduler.UnobservedTaskException.
                _ = _completion.Task.Exception;
                break;
            default:
                _completion.TrySetCanceled();
                break;
        }
    }
}
