using System.Diagnostics.CodeAnalysis;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// This server's capacity and the jobs it holds: at most <see cref="LongJobsOptions.MaxConcurrency"/> jobs hold a
/// slot (running, or claimed for), and ad-hoc jobs that found none wait in an <see cref="AdHocQueue"/> and take the
/// next free slot before any claim. It owns the scheduler's only lock, which guards the slots, the active jobs, the
/// ad-hoc queue and whether the scheduler stops; nothing slow, and no code of a job, runs under it. A kind with a limit of
/// its own (<see cref="KindSlots"/>) never holds more slots than it.
/// </summary>
internal sealed partial class SlotPool(int capacity, KindSlots kinds)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, JobWorkItem> _active = [];
    private readonly AdHocQueue _waiting = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action<JobWorkItem> _runWaiting = static _ => { };
    private Action _slotFreed = static () => { };
    private int _running;

    /// <summary>How many of the taken slots claims in flight hold, to give back those they do not fill.</summary>
    private int _heldByClaims;

    /// <summary>The jobs that gave their slot back when their work ended, while their outcome is written: at most <c>capacity</c>.</summary>
    private int _writing;
    private bool _stopping;
    private bool _cancelledAll;

    /// <summary>What a start that would run its job at once found (<see cref="TryReserveStart"/>).</summary>
    public enum StartSlot
    {
        /// <summary>A free slot, now reserved for the job.</summary>
        Reserved,

        /// <summary>No slot: running jobs take them all, or all of its kind's.</summary>
        Full,

        /// <summary>No slot now, but claims in flight hold some, and give back those they do not fill.</summary>
        HeldByClaims,
    }

    /// <summary>How many slots are taken: by running jobs, and by claims in flight.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Completes once the scheduler stops and holds no job and no slot.</summary>
    public Task Drained => _drained.Task;

    /// <summary>How many new jobs would find a free slot now: none wait for one.</summary>
    /// <param name="free">The free slots; 0 when the scheduler stops.</param>
    /// <returns>Whether the scheduler takes new jobs: <see langword="false"/> once it stops.</returns>
    public bool TryCountFreeSlots(out int free)
    {
        lock (_gate)
        {
            free = _stopping ? 0 : Math.Max(0, capacity - _running);
            return !_stopping;
        }
    }

    /// <summary>Connects the pool to what runs a waiting ad-hoc job that got a slot, and to what claims when a slot frees.</summary>
    public void Connect(Action<JobWorkItem> runWaiting, Action slotFreed)
    {
        _runWaiting = runWaiting;
        _slotFreed = slotFreed;
    }

    /// <summary>Refuses new jobs from now on.</summary>
    public void MarkStopping()
    {
        lock (_gate)
        {
            _stopping = true;
        }
    }

    /// <summary>
    /// Reserves free slots for a claim in flight: every free slot, or fewer when a kind with a limit of its own could pass it
    /// (<see cref="KindSlots.Plan"/>), and as many of each such kind's.
    /// </summary>
    /// <returns>What the claim may take; a count of 0 when nothing (no free slot, every kind at its limit, or the scheduler stops).</returns>
    public ClaimPlan ReserveClaim()
    {
        lock (_gate)
        {
            var free = _stopping ? 0 : capacity - _running;
            var plan = kinds.Plan(Math.Max(free, 0));
            if (plan.Count <= 0 || plan.Kinds.Length == 0)
            {
                return plan with { Count = 0 };
            }

            _running += plan.Count;
            _heldByClaims += plan.Count;
            kinds.Reserve(plan);
            return plan;
        }
    }

    /// <summary>Reserves one free slot for a job of <paramref name="kind"/> that its start runs at once, unless its kind is at its own limit.</summary>
    /// <returns>
    /// <see cref="StartSlot.Reserved"/> when a slot was reserved: <see cref="TryAddClaimed"/> holds the job in it,
    /// <see cref="Return(int, string)"/> gives it back.
    /// </returns>
    public StartSlot TryReserveStart(string kind)
    {
        lock (_gate)
        {
            if (_stopping || !kinds.TryReserveOne(kind))
            {
                return StartSlot.Full;
            }

            if (_running >= capacity)
            {
                kinds.Release(kind, 1);
                return _heldByClaims > 0 ? StartSlot.HeldByClaims : StartSlot.Full;
            }

            _running++;
            return StartSlot.Reserved;
        }
    }

    /// <summary>After a claim: gives back the reserved slots it did not fill (to queued ad-hoc jobs first), and each kind's.</summary>
    public void Return(ClaimPlan plan, IReadOnlyList<JobRecord> claimed) =>
        Return(plan.Count - claimed.Count, () => kinds.Settle(plan, claimed.Select(job => job.Kind)), plan.Count);

    /// <summary>Gives back <paramref name="count"/> reserved slots of jobs of <paramref name="kind"/> that did not start.</summary>
    public void Return(int count, string kind) => Return(count, () => kinds.Release(kind, count), claimed: 0);

    /// <param name="count">The slots given back.</param>
    /// <param name="settleKinds">Gives back each kind's.</param>
    /// <param name="claimed">The slots a claim held, now settled: filled or given back.</param>
    private void Return(int count, Action settleKinds, int claimed)
    {
        bool drained;
        Waiting started;
        lock (_gate)
        {
            _running -= count;
            _heldByClaims -= claimed;
            settleKinds();
            started = TakeWaiting();
            drained = IsDrained;
        }

        started.Run(_runWaiting);
        if (drained)
        {
            SetDrained();
        }
    }

    /// <summary>
    /// Holds a claimed job in one of the slots reserved for its claim (or for its start). An earlier attempt of the job
    /// that this server still holds (the job was requeued behind its back, as when a store outage outlasted its lease, and
    /// claimed here again) is superseded: it leaves the active jobs and gives back its slot, and its run no longer ends the job.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="attempt">The attempt it was claimed in.</param>
    /// <param name="create">Makes the item, given the superseded attempt's handle (<see langword="null"/> when none is held); called under the lock, so it only allocates.</param>
    /// <param name="item">The item made.</param>
    /// <param name="superseded">The earlier attempt, which the caller cancels; <see langword="null"/> when none was held.</param>
    /// <returns>Whether it was added: <see langword="false"/> only when this server holds the same or a later attempt of the job.</returns>
    public bool TryAddClaimed(Guid id, int attempt, Func<LongRunningJob?, JobWorkItem> create, out JobWorkItem item, out JobWorkItem? superseded)
    {
        bool cancel;
        lock (_gate)
        {
            superseded = _active.GetValueOrDefault(id);
            if (superseded?.Attempt >= attempt)
            {
                (item, superseded) = (null!, null);
                return false;
            }

            item = create(superseded?.Job);
            if (superseded is not null)
            {
                superseded.IsSuperseded = true;
                if (superseded.IsRunning)
                {
                    superseded.IsRunning = false;
                    _running--;
                    kinds.Release(superseded.Kind?.Name, 1);
                }

                EndWriting(superseded);
            }

            _active[id] = item;
            item.IsRunning = true;
            cancel = _cancelledAll;
        }

        if (cancel)
        {
            item.Cancel();
        }

        return true;
    }

    /// <summary>
    /// Gives back the slot of a job whose work has ended but whose outcome waits for the store: the job stays held (it
    /// can be found, and its handle completes once the outcome is recorded) while its slot takes the next job.
    /// </summary>
    public void FreeSlot(JobWorkItem item) => FreeSlot(item, whileWriting: false);

    /// <summary>
    /// Gives back the slot of a job whose work has just ended, while its outcome is written (with other jobs' outcomes,
    /// where the store batches them), unless as many outcomes as there are slots are being written already: then the job
    /// keeps its slot until its outcome is recorded, so the outcomes waiting to be written stay bounded however far the
    /// work runs ahead of the store.
    /// </summary>
    public void FreeSlotWhileWriting(JobWorkItem item) => FreeSlot(item, whileWriting: true);

    private void FreeSlot(JobWorkItem item, bool whileWriting)
    {
        bool slotFree;
        Waiting started;
        lock (_gate)
        {
            if (!item.IsRunning || !IsHeld(item) || (whileWriting && _writing >= capacity))
            {
                return;
            }

            if (whileWriting)
            {
                item.IsWriting = true;
                _writing++;
            }

            item.IsRunning = false;
            _running--;
            kinds.Release(item.Kind?.Name, 1);
            started = TakeWaiting();
            slotFree = !_stopping && _running < capacity;
        }

        started.Run(_runWaiting);
        if (slotFree)
        {
            _slotFreed();
        }
    }

    /// <summary>
    /// Signals every job held, and every job added from now on, as the host stops: one cancellation per job instead of
    /// a token per job linked to the shutdown (a registration on one shared source, made and removed on every thread).
    /// Job code registered on the tokens runs here, outside the lock.
    /// </summary>
    public void CancelAll()
    {
        List<JobWorkItem> held;
        lock (_gate)
        {
            _cancelledAll = true;
            held = [.. _active.Values];
        }

        foreach (var item in held)
        {
            item.Cancel();
        }
    }

    /// <summary>Finds a job this server holds, to cancel it; an ad-hoc job waiting for a slot leaves the queue at once.</summary>
    /// <returns>The job, or <see langword="null"/> when this server holds none with that ID.</returns>
    public JobWorkItem? FindToCancel(Guid id, out bool wasWaiting)
    {
        lock (_gate)
        {
            wasWaiting = false;
            if (!_active.TryGetValue(id, out var item))
            {
                return null;
            }

            wasWaiting = AdHocQueue.Remove(item);
            return item;
        }
    }

    /// <summary>Counts out a job that was writing its outcome without its slot; call under the lock.</summary>
    private void EndWriting(JobWorkItem item)
    {
        if (item.IsWriting)
        {
            item.IsWriting = false;
            _writing--;
        }
    }

    /// <summary>Frees the item's slot and fills free slots: queued ad-hoc jobs first, then claims.</summary>
    /// <returns>
    /// Whether the scheduler stops and no job is left: the caller completes the item's handle, then calls
    /// <see cref="SetDrained"/>, so a shutdown returns only once every handle is complete.
    /// </returns>
    public bool Release(JobWorkItem item)
    {
        bool drained, slotFree;
        Waiting started;
        lock (_gate)
        {
            // A superseded attempt is no longer held: the attempt that replaced it holds the job and its slot.
            if (!IsHeld(item))
            {
                return false;
            }

            _active.Remove(item.Id);
            EndWriting(item);

            if (item.IsRunning)
            {
                item.IsRunning = false;
                _running--;
                kinds.Release(item.Kind?.Name, 1);
            }

            started = TakeWaiting();
            slotFree = !_stopping && _running < capacity;
            drained = IsDrained;
        }

        // Outside the lock: queuing to the thread pool may wake a thread, and a claim may follow.
        started.Run(_runWaiting);
        if (slotFree)
        {
            _slotFreed();
        }

        return drained;
    }

    /// <summary>Tells a waiting shutdown that no job is left.</summary>
    public void SetDrained() => _drained.TrySetResult();

    /// <summary>Refuses new jobs and empties the ad-hoc queue.</summary>
    /// <returns>The ad-hoc jobs that waited, and how many slots are taken.</returns>
    public (List<JobWorkItem> Waiting, int Running) Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            var waiting = _waiting.DequeueAll();
            if (IsDrained)
            {
                SetDrained();
            }

            return (waiting, _running);
        }
    }

    /// <summary>The jobs that hold a slot.</summary>
    public List<JobWorkItem> RunningItems()
    {
        lock (_gate)
        {
            return [.. _active.Values.Where(item => item.IsRunning)];
        }
    }

    public bool TryGetJob(Guid id, [NotNullWhen(true)] out LongRunningJob? job)
    {
        lock (_gate)
        {
            job = _active.TryGetValue(id, out var item) ? item.Job : null;
            return job is not null;
        }
    }

    public IReadOnlyList<LongRunningJob> Jobs()
    {
        lock (_gate)
        {
            return [.. _active.Values.Select(item => item.Job)];
        }
    }

    /// <summary>Whether <paramref name="item"/> itself, not another attempt of its job, is held; read under the lock.</summary>
    private bool IsHeld(JobWorkItem item) => _active.TryGetValue(item.Id, out var held) && ReferenceEquals(held, item);

    /// <summary>Whether the scheduler stops and holds no job and no slot reserved for a claim; read under the lock.</summary>
    private bool IsDrained => _stopping && _active.Count == 0 && _running == 0;

    /// <summary>Gives free slots to the ad-hoc jobs waiting in the queue; called under the lock, the caller runs them after it.</summary>
    private Waiting TakeWaiting()
    {
        var taken = default(Waiting);
        while (!_stopping && _running < capacity && _waiting.TryDequeue(out var next))
        {
            _running++;
            next.IsRunning = true;
            taken.Add(next);
        }

        return taken;
    }
}
