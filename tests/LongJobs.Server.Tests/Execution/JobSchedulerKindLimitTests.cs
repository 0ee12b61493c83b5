using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Execution;

/// <summary>A kind's own concurrency limit on a server (<see cref="JobKindOptions.MaxConcurrency"/>), within the server's.</summary>
public sealed class JobSchedulerKindLimitTests
{
    [Fact]
    public async Task AKindAtItsLimitAcrossServers_WaitsInTheQueue_ThoughTheServerHasFreeSlots()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 4,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxClusterConcurrency = 2));
        var started = new List<LongRunningJob>();
        foreach (var key in new[] { "one", "two", "three" })
        {
            started.Add(await services.Scheduler.StartKindAsync("limited", new GatedRequest { GateKey = key }));
            services.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await Task.WhenAll(services.Gates["one"].Started, services.Gates["two"].Started);
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(started[2].Id)).Status);
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "other" });
        await services.Gates["other"].Started;

        services.Gates["one"].Release();
        await services.Gates["three"].Started;
    }

    [Fact]
    public async Task AKindAtItsLimit_WaitsInTheQueue_WhileOtherKindsTakeTheFreeSlots_AndGoesOnWhenOneOfItsJobsEnds()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 5,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxConcurrency = 2));
        var limited = new List<LongRunningJob>();
        for (var i = 1; i <= 4; i++)
        {
            // A second apart: jobs created at one instant are claimed in the order of their IDs, not of their starts.
            limited.Add(await services.Scheduler.StartKindAsync("limited", new GatedRequest { GateKey = $"limited-{i}" }));
            services.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "other-1" });
        await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "other-2" });

        await Task.WhenAll(services.Gates["limited-1"].Started, services.Gates["limited-2"].Started, services.Gates["other-1"].Started, services.Gates["other-2"].Started);
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(limited[2].Id)).Status);
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(limited[3].Id)).Status);
        Assert.Equal(4, services.Scheduler.GetActiveJobs().Count(job => job.State.Status == JobStatus.Running));

        services.Gates["limited-1"].Release();
        await services.Gates["limited-3"].Started;
        Assert.False(services.Gates["limited-4"].HasStarted);
        services.Gates["limited-2"].Release();
        await services.Gates["limited-4"].Started;
    }

    [Fact]
    public async Task ALimitAboveTheServers_IsTheServers()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 2,
            addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxConcurrency = 10));

        var jobs = await services.Scheduler.StartManyAsync("limited", [.. Enumerable.Range(1, 3).Select(i => new GatedRequest { GateKey = $"l-{i}" })]);

        var states = await Task.WhenAll(jobs.Select(job => services.GetRecordAsync(job.Id)));
        Assert.Equal([JobStatus.Queued, JobStatus.Running, JobStatus.Running], states.Select(job => job.Status).Order());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public void ALimitOutOfRange_IsRefusedWhenTheKindIsAdded(int limit)
    {
        var refused = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddLongJobs()
            .AddJob<GatedJob, GatedRequest, GatedResult>("limited", kind => kind.MaxConcurrency = limit));

        Assert.Contains("from 1 to 1024", refused.Message, StringComparison.Ordinal);
    }
}
