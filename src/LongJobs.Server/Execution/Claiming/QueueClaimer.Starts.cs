using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Claiming;

/// <summary>What starts ask of the claimer: a claim for a job just queued, or a free slot to run a job stored running without a claim.</summary>
internal sealed partial class QueueClaimer
{
    /// <summary>Whether no job waits in the queue for a slot of this server since a claim last took them all: a start may then run its job without queueing it.</summary>
    public bool NoJobWaits => Interlocked.Read(ref _mayWait) == Interlocked.Read(ref _noneWaitsAsOf);

    /// <summary>
    /// Claims for a job just queued here by a start: at once when no other claim is in flight, so a start that finds a
    /// slot free answers with its job running. While one is, the start leaves it to the loop (and a claim in flight that
    /// ends with slots left claims again, as the job may have come after it looked): under load, claims do not pile up
    /// one per start but take all jobs queued meanwhile in one statement.
    /// The job's handle, if any, is followed in the store only if the claim that follows does not take the job, so a
    /// job this server claims is not read back by its follower.
    /// </summary>
    /// <param name="follow">The job whose handle to follow while it waits, or <see langword="null"/>.</param>
    /// <returns>The jobs this call claimed.</returns>
    public async Task<List<JobRecord>> ClaimForStartAsync(Guid? follow)
    {
        if (Volatile.Read(ref _claimsInFlight) > 0)
        {
            if (follow is { } deferred)
            {
                _followAfterClaim.Enqueue(deferred);
            }

            // After the deferral: the claim it waits for is one that begins after this wake.
            Wake();
            return [];
        }

        var claimed = await ClaimWhileSlotsFreeAsync().ConfigureAwait(false);
        if (follow is { } id)
        {
            _followed.FollowIfWaiting(id);
        }

        return claimed;
    }

    /// <summary>
    /// Reserves a free slot for a job of <paramref name="kind"/> that its start inserts already running
    /// (<see cref="IJobRecords.InsertStartedAsync"/>), saving its claim: only while no job waits for a slot here
    /// (<see cref="NoJobWaits"/>), so that a job started now never takes the slot of one that waits; never for a kind
    /// limited across servers, whose running jobs only a claim counts. A start that finds no slot free leaves its job
    /// waiting: the starts after it queue theirs too, until a claim has taken every waiting job. One that finds the free
    /// slots held by claims in flight (a claim holds every free slot while it runs) waits for them to end and looks again;
    /// finding none then, it only queues its job, which the loop's next claim takes at once.
    /// </summary>
    /// <returns>Whether a slot was reserved: <see cref="StartInsertedAsync"/> runs the job in it, <see cref="ReleaseStart"/> gives it back.</returns>
    public async ValueTask<bool> TryReserveStartAsync(string kind)
    {
        if (_runningLimits?.ContainsKey(kind) == true || !NoJobWaits)
        {
            return false;
        }

        var slot = _pool.TryReserveStart(kind);
        if (slot == SlotPool.StartSlot.HeldByClaims)
        {
            await ClaimsSettledAsync().ConfigureAwait(false);
            slot = NoJobWaits ? _pool.TryReserveStart(kind) : SlotPool.StartSlot.HeldByClaims;
        }

        if (slot == SlotPool.StartSlot.Full)
        {
            Interlocked.Increment(ref _mayWait);
        }

        return slot == SlotPool.StartSlot.Reserved;
    }

    /// <summary>Completes when no claim is in flight (at once when none is); never throws.</summary>
    private Task ClaimsSettledAsync()
    {
        lock (_claimsGate)
        {
            return _claimsInFlight == 0 ? Task.CompletedTask : (_claimsSettled ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Gives back the slot <see cref="TryReserveStartAsync"/> reserved, for a job that did not start as it was inserted.</summary>
    public void ReleaseStart(string kind) => _pool.Return(1, kind);

    /// <summary>Runs a job that its start inserted running on this server, in the slot <see cref="TryReserveStartAsync"/> reserved; never throws.</summary>
    public Task StartInsertedAsync(JobRecord job) => _starter.StartAsync(job);
}
