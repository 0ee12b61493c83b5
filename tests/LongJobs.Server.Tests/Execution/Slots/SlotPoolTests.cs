using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution.Slots;

/// <summary>
/// A job whose work has ended gives its slot to the next job while its outcome is written, but no more such jobs wait
/// than there are slots: beyond that a job keeps its slot until its outcome is recorded, so a store slower than the work
/// holds the slots again instead of letting the outcomes waiting to be written grow without bound. A start that runs its
/// job at once takes a free slot, or learns whether running jobs or a claim in flight hold them.
/// </summary>
public sealed class SlotPoolTests
{
    private readonly SlotPool _pool = new(capacity: 2, new KindSlots([]));

    [Fact]
    public void JobsWritingTheirOutcome_GiveBackAtMostAsManySlotsAsThePoolHas_AndTheBoundFreesAsOutcomesAreRecorded()
    {
        var (first, second) = (Running(), Running());
        _pool.FreeSlotWhileWriting(first);
        _pool.FreeSlotWhileWriting(second);
        Assert.Equal(2, FreeSlots()); // both outcomes are written without their slots

        var (third, fourth) = (Running(), Running());
        Assert.Equal(0, FreeSlots());
        _pool.FreeSlotWhileWriting(third);
        Assert.Equal(0, FreeSlots()); // two outcomes wait without their slots already: the third keeps its slot

        _pool.Release(first); // recorded
        _pool.FreeSlotWhileWriting(fourth);
        Assert.Equal(1, FreeSlots());

        _pool.Release(third);
        Assert.Equal(2, FreeSlots());
    }

    [Fact]
    public void AJobThatCannotRecordItsOutcome_GivesBackItsSlot_WhateverTheBound()
    {
        var (first, second) = (Running(), Running());
        _pool.FreeSlotWhileWriting(first);
        _pool.FreeSlotWhileWriting(second);
        var (third, fourth) = (Running(), Running());
        _pool.FreeSlotWhileWriting(third);
        Assert.Equal(0, FreeSlots());

        _pool.FreeSlot(third); // the store refused its outcome: the write goes on without the slot
        Assert.Equal(1, FreeSlots());
        _pool.Release(fourth);
        Assert.Equal(2, FreeSlots());
    }

    [Fact]
    public async Task AStartThatRunsItsJobAtOnce_TakesAFreeSlot_OrSaysWhetherJobsOrAClaimInFlightHoldThemAll()
    {
        await using var services = TestServices.Create();
        var pool = new SlotPool(capacity: 2, new KindSlots(services.Provider.GetRequiredService<JobKindRegistry>().Kinds));

        Assert.Equal(SlotPool.StartSlot.Reserved, pool.TryReserveStart("gated"));
        var claim = pool.ReserveClaim();
        Assert.Equal(1, claim.Count);
        Assert.Equal(SlotPool.StartSlot.HeldByClaims, pool.TryReserveStart("gated"));

        pool.Return(claim, []); // the claim found nothing: its slot is free again
        Assert.Equal(SlotPool.StartSlot.Reserved, pool.TryReserveStart("gated"));
        Assert.Equal(SlotPool.StartSlot.Full, pool.TryReserveStart("gated"));

        pool.Return(1, "gated"); // a start that did not run its job
        Assert.Equal(SlotPool.StartSlot.Reserved, pool.TryReserveStart("gated"));
    }

    /// <summary>A new ad-hoc job that took a free slot.</summary>
    private AdHocWorkItem Running()
    {
        var job = new LongRunningJob<object?>(new JobRecord { Id = Guid.CreateVersion7(), Kind = "ad-hoc", CreatedAt = DateTimeOffset.UnixEpoch });
        var item = new AdHocWorkItem(job, static (_, _) => Task.CompletedTask);
        _pool.Add(item);
        Assert.Equal(SlotPool.Placement.Run, _pool.Place(item));
        return item;
    }

    private int FreeSlots() => _pool.TryCountFreeSlots(out var free) ? free : -1;
}
