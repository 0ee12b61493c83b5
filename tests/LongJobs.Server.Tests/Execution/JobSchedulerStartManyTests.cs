using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary><see cref="IJobScheduler.StartManyAsync"/>: many jobs of one registered kind at once, on the in-memory store.</summary>
public sealed class JobSchedulerStartManyTests
{
    [Fact]
    public async Task StartMany_QueuesEveryRequestWithOneInsert_AndEachHandleCompletesWithItsOwnResult()
    {
        FaultyJobStore? store = null;
        await using var services = TestServices.Create(options => options.MaxConcurrency = 2, store: time => store = new FaultyJobStore(time));
        GatedRequest[] requests = [new() { GateKey = "a", Value = 1 }, new() { GateKey = "b", Value = 2 }, new() { GateKey = "c", Value = 3 }];

        var jobs = await services.Scheduler.StartManyAsync("gated", requests);

        Assert.Equal(1, store!.InsertManyCalls);
        Assert.Equal(3, services.Store.Count);
        Assert.Equal(3, jobs.Select(job => job.Id).Distinct().Count());
        foreach (var request in requests)
        {
            services.Gates[request.GateKey].Release();
        }

        var results = await Task.WhenAll(jobs.Select(job => Assert.IsType<LongRunningJob<GatedResult>>(job).Task)).WithSafetyTimeout();
        Assert.Equal([2, 4, 6], results.Select(result => result.DoubledValue));
        Assert.Equal(jobs.Select(job => job.Id), results.Select(result => result.JobId));
    }

    [Fact]
    public async Task StartMany_WithAnInvalidRequest_ThrowsValidationExceptionNamingItsIndex_AndQueuesNothing()
    {
        await using var services = TestServices.Create();
        object[] requests = [new GatedRequest { GateKey = "a" }, new GatedRequest { GateKey = "b", Value = 5000 }];

        var exception = await Assert.ThrowsAsync<ValidationException>(() => services.Scheduler.StartManyAsync("gated", requests));

        Assert.StartsWith("Request 1: ", exception.Message, StringComparison.Ordinal);
        Assert.Contains("value", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task StartMany_WithARequestOfAnotherType_ThrowsArgumentException_AndQueuesNothing()
    {
        await using var services = TestServices.Create();

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartManyAsync("gated", [new GatedRequest { GateKey = "a" }, new ProbeRequest()]));

        Assert.Equal("requests", exception.ParamName);
        Assert.StartsWith("Request 1: ", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task StartMany_UnknownKind_ThrowsKeyNotFoundException()
    {
        await using var services = TestServices.Create();

        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Scheduler.StartManyAsync("nope", [new ProbeRequest()]));
    }

    [Fact]
    public async Task StartMany_WithNoRequests_ReturnsNoJobs_AndTouchesNoStore()
    {
        FaultyJobStore? store = null;
        await using var services = TestServices.Create(store: time => store = new FaultyJobStore(time));

        var jobs = await services.Scheduler.StartManyAsync("gated", []);

        Assert.Empty(jobs);
        Assert.Equal(0, store!.InsertManyCalls);
    }

    [Fact]
    public async Task StartMany_WhenTheQueueHasNoRoomForAll_RejectsTheWholeBatch_AndAcceptsOneThatFits()
    {
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 2;
        });

        // One free slot and room for two in the queue: four do not fit, three do.
        var rejected = await Assert.ThrowsAsync<JobRejectedException>(() => services.Scheduler.StartManyAsync("gated", Requests(4)));
        Assert.Equal(JobRejectionReason.QueueFull, rejected.Reason);
        Assert.Equal(0, services.Store.Count);

        var jobs = await services.Scheduler.StartManyAsync("gated", Requests(3));
        Assert.Equal(3, jobs.Count);
        Assert.Equal(3, services.Store.Count);

        static object[] Requests(int count) => [.. Enumerable.Range(0, count).Select(index => new GatedRequest { GateKey = $"g{index}" })];
    }

    [Fact]
    public async Task StartMany_WhenTheStoreLostItsAnswer_ReadsTheJobsBack_AndReturnsThem()
    {
        FaultyJobStore? store = null;
        await using var services = TestServices.Create(store: time => store = new FaultyJobStore(time));
        store!.InsertAnswersToLose = 1;

        var jobs = await services.Scheduler.StartManyAsync("gated", [new GatedRequest { GateKey = "a", Value = 1 }, new GatedRequest { GateKey = "b", Value = 2 }]);

        Assert.Equal(1, store.InsertManyCalls);
        Assert.Equal(2, services.Store.Count);
        services.Gates["a"].Release();
        services.Gates["b"].Release();
        var results = await Task.WhenAll(jobs.Select(job => ((LongRunningJob<GatedResult>)job).Task)).WithSafetyTimeout();
        Assert.Equal([2, 4], results.Select(result => result.DoubledValue));
    }

    [Fact]
    public async Task StartMany_WhenTheStoreWasNeverReached_ThrowsAndLeavesNothing()
    {
        FaultyJobStore? store = null;
        await using var services = TestServices.Create(store: time => store = new FaultyJobStore(time));
        store!.InsertUnreachable = true;

        await Assert.ThrowsAsync<LongJobs.Server.Storage.JobStoreUnavailableException>(() => services.Scheduler.StartManyAsync("gated", [new GatedRequest { GateKey = "a" }]));

        Assert.Equal(0, services.Store.Count);
        Assert.Empty(services.Scheduler.GetActiveJobs());
    }
}
