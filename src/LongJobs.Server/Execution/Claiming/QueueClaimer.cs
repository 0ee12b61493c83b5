using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Running;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Claiming;

/// <summary>
/// Takes queued jobs of registered kinds from the store into this server's free slots, oldest first, and starts them.
/// There are no idle workers: claims happen when a job is queued here, when a slot frees, and when the topology says
/// the store's queue may have changed (another server queued a job, or the poll interval passed). Once a claim found
/// the queue empty, the next asks the store only after something may have queued a job: a slot that frees while the
/// queue is empty costs no query.
/// </summary>
internal sealed class QueueClaimer
{
    private readonly IQueuedJobs _queue;
    private readonly JobKindRegistry _kinds;
    private readonly string[] _kindNames;
    private readonly SlotPool _pool;
    private readonly StoreTopology _topology;
    private readonly FollowedJobs _followed;
    private readonly JobRunner _runner;
    private readonly JobStateWriter _writer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _pollInterval;
    private readonly bool _includeExceptionDetails;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly ClaimHealth _health = new();
    private readonly Func<Task> _claim;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<Task>? _loop;

    /// <summary>
    /// Counts the moments since which the store's queue may hold jobs to claim: this server queued one, the store
    /// said another server did, or the poll interval passed. Starts at 1: the queue may hold jobs from before.
    /// </summary>
    private long _queueChanges = 1;

    /// <summary>The value of <see cref="_queueChanges"/> when a claim last found the queue empty of jobs for this server.</summary>
    private long _queueEmptyAsOf;

    public QueueClaimer(
        IQueuedJobs queue,
        JobKindRegistry kinds,
        SlotPool pool,
        StoreTopology topology,
        FollowedJobs followed,
        JobRunner runner,
        JobStateWriter writer,
        TimeProvider time,
        LongJobsOptions options,
        bool includeExceptionDetails,
        ILogger logger,
        CancellationToken shutdown)
    {
        _queue = queue;
        _kinds = kinds;
        _kindNames = [.. kinds.Kinds.Select(kind => kind.Name)];
        _pool = pool;
        _topology = topology;
        _followed = followed;
        _runner = runner;
        _writer = writer;
        _time = time;
        _pollInterval = options.QueuePollInterval;
        _includeExceptionDetails = includeExceptionDetails;
        _logger = logger;
        _shutdown = shutdown;
        _claim = async () => await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the claim loop once: when the host starts, or at the first job of a registered kind if that comes first.</summary>
    public void EnsureStarted()
    {
        if (_kindNames.Length == 0 || Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        var loop = new Task<Task>(ClaimLoopAsync);
        if (Interlocked.CompareExchange(ref _loop, loop, null) is null)
        {
            loop.Start(TaskScheduler.Default);
        }
    }

    /// <summary>Wakes the claim loop.</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>
    /// Wakes the claim loop for a slot that freed, unless the queue was found empty since anything last queued a job:
    /// the claim would only find that out again, so a server running only ad-hoc jobs, or one whose queue is empty,
    /// does not wake its loop for each job that ends.
    /// </summary>
    public void OnSlotFreed()
    {
        if (Interlocked.Read(ref _queueChanges) != Interlocked.Read(ref _queueEmptyAsOf))
        {
            Wake();
        }
    }

    /// <summary>Notes that the store's queue may hold jobs to claim, so the next claim asks the store.</summary>
    public void MayHaveQueuedJobs() => Interlocked.Increment(ref _queueChanges);

    /// <summary>Waits for the claim loop to end; the host's shutdown ends it.</summary>
    public async Task StopAsync()
    {
        if (Volatile.Read(ref _loop) is { } loop)
        {
            await (await loop.ConfigureAwait(false)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Claims queued jobs into this server's free slots until the slots are full or the queue is empty, and starts them.</summary>
    /// <returns>The jobs it claimed.</returns>
    public async Task<List<JobRecord>> ClaimWhileSlotsFreeAsync()
    {
        var all = new List<JobRecord>();
        if (_kindNames.Length == 0)
        {
            return all;
        }

        while (true)
        {
            var queueChanges = Interlocked.Read(ref _queueChanges);
            if (queueChanges == Interlocked.Read(ref _queueEmptyAsOf))
            {
                return all;
            }

            // Reserved while the claim is in flight.
            var free = _pool.Reserve();
            if (free <= 0)
            {
                return all;
            }

            IReadOnlyList<JobRecord> claimed;
            try
            {
                claimed = await _queue.ClaimAsync(_kindNames, free, _time.GetUtcNow(), _shutdown).ConfigureAwait(false);
                if (_health.TryMarkWorking())
                {
                    Log.ClaimRecovered(_logger);
                }
            }
            catch (Exception exception)
            {
                _pool.Return(free);
                if (exception is JobStoreUnavailableException && _health.TryMarkFailing())
                {
                    Log.ClaimFailed(_logger, exception);
                }
                else if (exception is not (JobStoreUnavailableException or OperationCanceledException))
                {
                    // The jobs stay queued: the next wake-up or poll claims again.
                    Log.ClaimFailedUnexpectedly(_logger, exception);
                }

                return all;
            }

            _pool.Return(free - claimed.Count);
            _topology.NoteQueueChange(-claimed.Count);
            foreach (var job in claimed)
            {
                // The handle of a job started here, which the claim takes over from following it.
                var handle = _followed.Take(job.Id)?.Handle;
                if (!TryStartClaimed(job, handle, out var notStarted))
                {
                    await FailUnstartedAsync(job, handle, notStarted).ConfigureAwait(false);
                }
            }

            all.AddRange(claimed);
            if (claimed.Count < free)
            {
                // Empty as of the claim: unless something queued a job since it began.
                InterlockedMax(ref _queueEmptyAsOf, queueChanges);
                return all;
            }
        }
    }

    private async Task ClaimLoopAsync()
    {
        using var wakeOnStop = _shutdown.Register(Wake);
        while (!_shutdown.IsCancellationRequested)
        {
            // Armed before claiming, so a wake-up during the claim is not lost.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            try
            {
                if (await _topology.ClaimThenWaitAsync(_claim, wake.Task, _shutdown).ConfigureAwait(false))
                {
                    MayHaveQueuedJobs();
                }
            }
            catch (Exception exception) when (!_shutdown.IsCancellationRequested)
            {
                // The loop is the only claimer when nothing is started here: it goes on, after a poll interval.
                Log.ClaimFailedUnexpectedly(_logger, exception);
                await Task.WhenAny(wake.Task, Task.Delay(_pollInterval, _time, _shutdown)).ConfigureAwait(false);
                MayHaveQueuedJobs();
            }
        }
    }

    /// <summary>Starts a job this server claimed in one of the slots reserved for it.</summary>
    /// <returns>Whether it started; otherwise <paramref name="failure"/> says why, and the slot went back.</returns>
    private bool TryStartClaimed(JobRecord job, LongRunningJob? handle, out Exception failure)
    {
        JobWorkItem item;
        try
        {
            var kind = _kinds.TryGet(job.Kind, out var found) ? found : throw new InvalidOperationException($"Claimed job '{job.Id}' has kind '{job.Kind}', which is not registered here.");
            handle ??= kind.CreateJob(job);
            handle.Update(job);
            item = new ClaimedWorkItem(handle, kind) { Attempt = job.Attempt };
            if (!_pool.TryAddClaimed(item))
            {
                item.Cancellation.Dispose();
                throw new InvalidOperationException($"Claimed job '{job.Id}' is still held here by an earlier attempt.");
            }
        }
        catch (Exception exception)
        {
            _pool.Return(1);
            failure = exception;
            return false;
        }

        failure = null!;
        _runner.Dispatch(item, job);
        return true;
    }

    /// <summary>Fails a claimed job that could not be started here, rather than leave it running in the store, and completes its handle.</summary>
    private async Task FailUnstartedAsync(JobRecord job, LongRunningJob? handle, Exception exception)
    {
        Log.JobFailed(_logger, exception, job.Id, job.Kind);
        var outcome = new JobOutcome(JobStatus.Failed, _time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, _includeExceptionDetails));
        var final = await _writer.RecordOutcomeAsync(job, JobStatus.Running, job.Attempt, outcome).ConfigureAwait(false);
        handle?.Complete(final, result: null, exception);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
