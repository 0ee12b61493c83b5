using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Jobs of a kind made unique with <see cref="JobKindOptions.UniqueBy{TRequest}"/>, started in code on the in-memory store.</summary>
public sealed class JobSchedulerUniqueJobsTests
{
    /// <summary>A gated kind whose jobs are unique by their value ("customer-{Value}"); a value of 0 makes a job that need not be unique.</summary>
    private static void AddUniqueKind(LongJobsBuilder jobs) =>
        jobs.AddJob<GatedJob, GatedRequest, GatedResult>("unique", kind => kind.UniqueBy<GatedRequest>(request => request.Value > 0 ? $"customer-{request.Value}" : null));

    [Fact]
    public async Task AStartWhileAJobWithItsKeyRuns_StartsNothing_AndReturnsTheRunningJobsHandle()
    {
        await using var services = TestServices.Create(addJobs: AddUniqueKind);
        var first = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "first", Value = 7 });
        await services.Gates["first"].Started;

        var second = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "second", Value = 7 });

        Assert.Same(first, second);
        services.Gates["first"].Release();
        var result = await ((LongRunningJob<GatedResult>)second).Task.WithSafetyTimeout();
        Assert.Equal("first", result.GateKey);
        Assert.False(services.Gates["second"].HasStarted);
        Assert.Equal(1, services.Store.Count);
    }

    [Fact]
    public async Task AStartWhileAJobWithItsKeyWaitsInTheQueue_ReturnsThatJobsHandle_AndOtherKeysAndUnkeyedJobsStart()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 1, addJobs: AddUniqueKind);
        var busy = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "busy" });
        await services.Gates["busy"].Started;
        var queued = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "queued", Value = 1 });

        var again = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "again", Value = 1 });
        var otherKey = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "other", Value = 2 });
        var unkeyed = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "unkeyed", Value = 0 });
        var unkeyedAgain = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "unkeyed", Value = 0 });

        Assert.Same(queued, again);
        Assert.Equal(4, new[] { queued.Id, otherKey.Id, unkeyed.Id, unkeyedAgain.Id }.Distinct().Count());
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(queued.Id)).Status);
        Assert.Equal("customer-1", (await services.GetRecordAsync(queued.Id)).UniqueKey);
    }

    [Fact]
    public async Task AStartDeduplicatedAgainstAJobStartedWithoutAHandle_GetsAHandleThatCompletesWithThatJobsResult()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 1, addJobs: AddUniqueKind);
        var busy = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "busy" });
        await services.Gates["busy"].Started;
        var starter = services.Provider.GetRequiredService<IRegisteredJobStarter>();
        var kind = services.Provider.GetRequiredService<JobKindRegistry>().Kinds.Single(kind => kind.Name == "unique");
        var request = new GatedRequest { GateKey = "api", Value = 3 };
        var (state, outcome) = await starter.StartValidatedAsync(kind, new ValidatedStart(request, Owner: "someone", IdempotencyKey: null, Notifications: null, kind.UniqueKeyOf(request)), notBefore: null, CancellationToken.None);

        var handle = (LongRunningJob<GatedResult>)await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "code", Value = 3 });

        Assert.Equal(StartOutcome.New, outcome);
        Assert.Equal(state.Id, handle.Id);
        services.Gates["busy"].Release();
        await services.Gates["api"].Started;
        services.Gates["api"].Release();
        Assert.Equal("api", (await handle.Task.WithSafetyTimeout()).GateKey);
    }

    [Fact]
    public async Task OnceTheJobWithAKeyHasFinished_AStartWithThatKeyStartsANewJob()
    {
        await using var services = TestServices.Create(addJobs: AddUniqueKind);
        var first = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "first", Value = 5 });
        services.Gates["first"].Release();
        await first.Task.WithSafetyTimeout();

        var second = await services.Scheduler.StartKindAsync("unique", new GatedRequest { GateKey = "second", Value = 5 });
        services.Gates["second"].Release();

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("second", (await ((LongRunningJob<GatedResult>)second).Task.WithSafetyTimeout()).GateKey);
    }

    [Fact]
    public async Task StartMany_WithTwoRequestsOfOneKey_StartsOneJob_AndReturnsItsHandleForBoth()
    {
        await using var services = TestServices.Create(addJobs: AddUniqueKind);

        var jobs = await services.Scheduler.StartManyAsync("unique", [
            new GatedRequest { GateKey = "a", Value = 9 },
            new GatedRequest { GateKey = "b", Value = 9 },
            new GatedRequest { GateKey = "c", Value = 10 },
        ]);

        Assert.Same(jobs[0], jobs[1]);
        Assert.NotEqual(jobs[0].Id, jobs[2].Id);
        services.Gates["a"].Release();
        services.Gates["c"].Release();
        await Task.WhenAll(jobs.Select(job => job.Task)).WithSafetyTimeout();
        Assert.Equal(2, services.Store.Count);
    }

    [Fact]
    public async Task AKeyFunctionThatThrows_OrAKeyTooLong_RefusesTheStart_AndStoresNothing()
    {
        await using var services = TestServices.Create(addJobs: jobs => jobs
            .AddJob<GatedJob, GatedRequest, GatedResult>("throwing", kind => kind.UniqueBy<GatedRequest>(_ => throw new FormatException("bad")))
            .AddJob<GatedJob, GatedRequest, GatedResult>("long", kind => kind.UniqueBy<GatedRequest>(request => new string('k', 256))));

        var thrown = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartKindAsync("throwing", new GatedRequest { GateKey = "x" }));
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartKindAsync("long", new GatedRequest { GateKey = "x" }));
        var inBatch = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartManyAsync("throwing", [new GatedRequest { GateKey = "x" }]));

        Assert.IsType<FormatException>(thrown.InnerException);
        Assert.Contains("1 to 255 characters", tooLong.Message, StringComparison.Ordinal);
        Assert.StartsWith("Request 0: ", inBatch.Message, StringComparison.Ordinal);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public void UniqueBy_OfAnotherRequestType_IsRefusedWhenTheKindIsAdded()
    {
        var services = new ServiceCollection();

        var refused = Assert.Throws<ArgumentException>(() => services.AddLongJobs()
            .AddJob<GatedJob, GatedRequest, GatedResult>("unique", kind => kind.UniqueBy<ProbeRequest>(_ => "k")));

        Assert.Contains("UniqueBy<GatedRequest>", refused.Message, StringComparison.Ordinal);
    }
}
