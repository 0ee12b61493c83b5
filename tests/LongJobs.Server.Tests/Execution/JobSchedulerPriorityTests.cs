using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Kinds' priorities (<see cref="JobKindOptions.Priority"/>): which queued job a free slot takes first.</summary>
public sealed class JobSchedulerPriorityTests
{
    [Fact]
    public async Task AFreedSlot_TakesTheQueuedJobOfTheHigherPriorityKind_ThoughItWasQueuedLater()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 1,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = 5));
        var busy = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "busy" });
        await services.Gates["busy"].Started;
        var normal = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "normal" });
        services.Time.Advance(TimeSpan.FromMinutes(4));
        var urgent = await services.Scheduler.StartKindAsync("urgent", new GatedRequest { GateKey = "urgent" });

        services.Gates["busy"].Release();
        await services.Gates["urgent"].Started;

        Assert.False(services.Gates["normal"].HasStarted);
        Assert.Equal(5, (await services.GetRecordAsync(urgent.Id)).Priority);
        Assert.Equal(0, (await services.GetRecordAsync(normal.Id)).Priority);
        services.Gates["urgent"].Release();
        await services.Gates["normal"].Started;
    }

    [Fact]
    public async Task AKindsPriorityFunction_GivesEachJobStartedInCodeItsOwn_AndAFreedSlotTakesTheHigherFirst()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 1,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("orders", kind => kind.PriorityBy<GatedRequest>(request => request.Value * 2)));
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "busy" });
        await services.Gates["busy"].Started;
        var standard = await services.Scheduler.StartKindAsync("orders", new GatedRequest { GateKey = "standard", Value = 0 });
        services.Time.Advance(TimeSpan.FromMinutes(1));
        var express = await services.Scheduler.StartManyAsync("orders", [new GatedRequest { GateKey = "express", Value = 9 }]);

        services.Gates["busy"].Release();
        await services.Gates["express"].Started;

        Assert.False(services.Gates["standard"].HasStarted);
        Assert.Equal((0, 18), ((await services.GetRecordAsync(standard.Id)).Priority, (await services.GetRecordAsync(express[0].Id)).Priority));
    }

    [Fact]
    public async Task AKindsPriorityFunction_ThatRefusesARequest_RefusesTheStartInCode()
    {
        await using var services = TestServices.Create(addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("orders", kind => kind.PriorityBy<GatedRequest>(request => request.Value * 2)));

        var single = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartKindAsync("orders", new GatedRequest { GateKey = "a", Value = 600 }));
        var many = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartManyAsync("orders", [new GatedRequest { GateKey = "b" }, new GatedRequest { GateKey = "c", Value = 501 }]));

        Assert.Contains("from -1000 to 1000", single.Message, StringComparison.Ordinal);
        Assert.StartsWith("Request 1:", many.Message, StringComparison.Ordinal);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task AJobOfALowerPriority_QueuedLongEnoughBefore_IsTakenFirst()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 1,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = 5));
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "busy" });
        await services.Gates["busy"].Started;
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "old" });
        services.Time.Advance(TimeSpan.FromMinutes(6));
        await services.Scheduler.StartKindAsync("urgent", new GatedRequest { GateKey = "urgent" });

        services.Gates["busy"].Release();
        await services.Gates["old"].Started;

        Assert.False(services.Gates["urgent"].HasStarted);
    }

    [Theory]
    [InlineData(-1001)]
    [InlineData(1001)]
    public void APriorityOutOfRange_IsRefusedWhenTheKindIsAdded(int priority)
    {
        var refused = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddLongJobs()
            .AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = priority));

        Assert.Contains("from -1000 to 1000", refused.Message, StringComparison.Ordinal);
    }
}
