namespace LongJobs.Server.Execution.Slots;

// How a new ad-hoc job gets a slot: held before it is stored, given a slot to be stored running in when one is free,
// otherwise placed once stored (a slot freed meanwhile, or the ad-hoc queue).
internal sealed partial class SlotPool
{
    /// <summary>Where a new ad-hoc job goes.</summary>
    public enum Placement
    {
        /// <summary>It took a free slot: run it.</summary>
        Run,

        /// <summary>It waits in the ad-hoc queue for a slot.</summary>
        Queued,

        /// <summary>It was cancelled before it got anywhere.</summary>
        Cancelled,

        /// <summary>The scheduler stops: it never runs.</summary>
        Stopping,
    }

    /// <summary>Holds a new ad-hoc job, before it is stored: from now on it can be found and cancelled.</summary>
    public void Add(JobWorkItem item)
    {
        bool cancel;
        lock (_gate)
        {
            _active.Add(item.Id, item);
            cancel = _cancelledAll;
        }

        if (cancel)
        {
            item.Cancel();
        }
    }

    /// <summary>
    /// Gives a new ad-hoc job, before it is stored, a free slot to be stored running in: none while the scheduler stops,
    /// once the job is cancelled, or when no slot is free (then <see cref="Place"/> finds it one, or a place in the queue,
    /// once it is stored). <see cref="Release"/> gives the slot back with the job.
    /// </summary>
    public bool TryReserveAdHoc(JobWorkItem item)
    {
        lock (_gate)
        {
            if (_stopping || item.Cancellation.IsCancellationRequested || _running >= capacity)
            {
                return false;
            }

            _running++;
            item.IsRunning = true;
            return true;
        }
    }

    /// <summary>Gives a stored ad-hoc job a free slot, or a place in the ad-hoc queue.</summary>
    public Placement Place(JobWorkItem item)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return Placement.Stopping;
            }

            if (item.Cancellation.IsCancellationRequested)
            {
                return Placement.Cancelled;
            }

            if (_running < capacity)
            {
                _running++;
                item.IsRunning = true;
                return Placement.Run;
            }

            _waiting.Enqueue(item);
            return Placement.Queued;
        }
    }

    /// <summary>Where a stored ad-hoc job that holds the slot <see cref="TryReserveAdHoc"/> gave it goes: never the queue.</summary>
    public Placement PlaceReserved(JobWorkItem item)
    {
        lock (_gate)
        {
            return _stopping ? Placement.Stopping
                : item.Cancellation.IsCancellationRequested ? Placement.Cancelled
                : Placement.Run;
        }
    }
}
