using System.Collections.Concurrent;
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
/// the queue empty, the next asks the store only after something may have queued a job, or a job of a kind limited across
/// servers finished here (its kind's waiting jobs may start now): a slot that frees while the queue is empty costs no
/// query. While no job waits for a slot, a start may take one and store its job running
/// (<see cref="TryReserveStartAsync"/>); <see cref="ClaimedJobStarter"/> runs the jobs either way takes.
/// </summary>
internal sealed partial class QueueClaimer
{
    private readonly IQueuedJobs _queue;
    private readonly IJobChangeFeed _changes;
    private readonly string[] _kindNames;

    /// <summary>The kinds limited across servers (<see cref="JobKindOptions.MaxClusterConcurrency"/>) and their limits; <see langword="null"/> when none is.</summary>
    private readonly Dictionary<string, int>? _runningLimits;
    private readonly SlotPool _pool;
    private readonly StoreTopology _topology;
    private readonly FollowedJobs _followed;
    private readonly TimeProvider _time;
    private readonly TimeSpan _pollInterval;
    private readonly CancellationToken _shutdown;
    private readonly FailureEpisode _claims;
    private readonly ClaimedJobStarter _starter;
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

    /// <summary>
    /// Counts the moments since which a job may wait in the store's queue for a slot of this server: a start found no slot
    /// free, or a claim filled every slot it had. Starts at 1: the queue may hold jobs from before. A job queued while
    /// slots are free (by a start here or on another server, a schedule, a batch) adds nothing: a claim takes it at once,
    /// and finds no slot for it only when starts have taken them all, which counts.
    /// </summary>
    private long _mayWait = 1;

    /// <summary>The value of <see cref="_mayWait"/> when a claim last took every job waiting for this server.</summary>
    private long _noneWaitsAsOf;

    /// <summary>How many claims are in flight: the loop's and those of starts; changed under <see cref="_claimsGate"/>.</summary>
    private int _claimsInFlight;

    /// <summary>Completes when no claim is in flight any more; <see langword="null"/> while nobody waits for that.</summary>
    private TaskCompletionSource? _claimsSettled;

    private readonly Lock _claimsGate = new();

    /// <summary>Jobs queued by starts that left their claim to the loop: their handles are followed after its next claim, unless it takes them.</summary>
    private readonly ConcurrentQueue<Guid> _followAfterClaim = new();

    public QueueClaimer(
        IQueuedJobs queue,
        IJobChangeFeed changes,
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
        _changes = changes;
        _kindNames = [.. kinds.Kinds.Select(kind => kind.Name)];
        var runningLimits = kinds.Kinds.Where(kind => kind.MaxClusterConcurrency is not null).ToDictionary(kind => kind.Name, kind => kind.MaxClusterConcurrency!.Value, StringComparer.Ordinal);
        _runningLimits = runningLimits.Count > 0 ? runningLimits : null;
        _pool = pool;
        _topology = topology;
        _followed = followed;
        _time = time;
        _pollInterval = options.QueuePollInterval;
        _shutdown = shutdown;
        _claims = new FailureEpisode("Taking jobs from the queue", logger, time);
        _starter = new ClaimedJobStarter(kinds, pool, followed, runner, writer, time, includeExceptionDetails, logger, _claims);
        _claim = ClaimThenFollowAsync;
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
        if (!IsQueueKnownEmpty)
        {
            Wake();
        }
    }

    /// <summary>Whether a claim found the queue empty since anything last queued a job.</summary>
    private bool IsQueueKnownEmpty => Interlocked.Read(ref _queueChanges) == Interlocked.Read(ref _queueEmptyAsOf);

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
        lock (_claimsGate)
        {
            _claimsInFlight++;
        }

        try
        {
            return await ClaimUntilFullOrEmptyAsync().ConfigureAwait(false);
        }
        finally
        {
            TaskCompletionSource? settled = null;
            lock (_claimsGate)
            {
                if (--_claimsInFlight == 0)
                {
                    (settled, _claimsSettled) = (_claimsSettled, null);
                }
            }

            settled?.TrySetResult();
        }
    }

    /// <summary>The loop's turn: claims, then follows the handles of jobs whose starts deferred to this claim and that it did not take.</summary>
    private async Task ClaimThenFollowAsync()
    {
        var deferred = new List<Guid>();
        while (_followAfterClaim.TryDequeue(out var id))
        {
            deferred.Add(id);
        }

        try
        {
            await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
        }
        finally
        {
            deferred.ForEach(_followed.FollowIfWaiting);
        }
    }

    private async Task<List<JobRecord>> ClaimUntilFullOrEmptyAsync()
    {
        var all = new List<JobRecord>();
        if (_kindNames.Length == 0)
        {
            return all;
        }

        while (true)
        {
            var mayWait = Interlocked.Read(ref _mayWait);
            var queueChanges = Interlocked.Read(ref _queueChanges);
            if (queueChanges == Interlocked.Read(ref _queueEmptyAsOf))
            {
                return all;
            }

            // Reserved while the claim is in flight.
            var plan = _pool.ReserveClaim();
            if (plan.Count <= 0)
            {
                return all;
            }

            IReadOnlyList<JobRecord> claimed;
            try
            {
                claimed = await _queue.ClaimAsync(plan.Kinds, plan.Count, _time.GetUtcNow(), _runningLimits, _shutdown).ConfigureAwait(false);
                _claims.Worked();
            }
            catch (Exception exception)
            {
                // The jobs stay queued: the next wake-up or poll claims again.
                _pool.Return(plan, []);
                if (!(exception is OperationCanceledException && _shutdown.IsCancellationRequested))
                {
                    _claims.Failed(exception);
                }

                return all;
            }

            _pool.Return(plan, claimed);
            _topology.NoteQueueChange(-claimed.Count);
            foreach (var job in claimed)
            {
                await _starter.StartAsync(job).ConfigureAwait(false);
            }

            all.AddRange(claimed);
            if (claimed.Count < plan.Count)
            {
                // Every waiting job of the plan's kinds that may start was taken. A kind left out at its own limit may still
                // have some, but a start of that kind finds no slot of its kind either (which counts), so none passes them.
                // Jobs of a kind at its limit across servers wait for one of its jobs to finish, not for a slot here; a
                // start of that kind always queues its job.
                InterlockedMax(ref _noneWaitsAsOf, mayWait);
            }

            if (claimed.Count < plan.Count && plan.Capped)
            {
                // A kind's limit here left kinds out: the claim says nothing of their jobs, which a slot of their kind, once
                // freed, claims.
                return all;
            }

            if (claimed.Count == plan.Count)
            {
                // Every slot it had is filled: jobs may be left waiting.
                Interlocked.Increment(ref _mayWait);
            }
            else
            {
                // Empty as of the claim (but for jobs held back by a limit across servers, which OnLimitedJobFinished looks
                // for again): unless something queued a job since it began. A start that queued one then left
                // its claim to the loop, whose claim may have found no free slot (this one held them): claim again.
                InterlockedMax(ref _queueEmptyAsOf, queueChanges);
                if (Interlocked.Read(ref _queueChanges) == queueChanges)
                {
                    return all;
                }
            }
        }
    }

    private async Task ClaimLoopAsync()
    {
        using var wakeOnStop = _shutdown.Register(Wake);
        if (_runningLimits is not null)
        {
            _changes.JobFinished += OnLimitedJobFinished;
        }

        try
        {
            await ClaimUntilStoppedAsync().ConfigureAwait(false);
        }
        finally
        {
            _changes.JobFinished -= OnLimitedJobFinished;
        }
    }

    /// <summary>
    /// Claims again when a job of a kind limited across servers finished here: its kind has room for one more, and its
    /// waiting jobs, which the last claim passed over, may start (on another server, that server's claim takes them, or
    /// this one's next poll).
    /// </summary>
    private void OnLimitedJobFinished(JobRecord job)
    {
        if (_runningLimits!.ContainsKey(job.Kind))
        {
            MayHaveQueuedJobs();
            Wake();
        }
    }

    private async Task ClaimUntilStoppedAsync()
    {
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
                _claims.Failed(exception);
                await Task.WhenAny(wake.Task, Task.Delay(_pollInterval, _time, _shutdown)).ConfigureAwait(false);
                MayHaveQueuedJobs();
            }
        }
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
