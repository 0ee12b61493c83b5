using LongJobs.Server.Jobs;
using LongJobs.Server.Retention;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Retention;

/// <summary>Finished jobs expire after <see cref="LongJobsOptions.RetainFinishedJobsFor"/>, on demand and on the sweeper's timer.</summary>
public sealed class RetentionSweeperTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Sweep_RemovesFinishedJobsOnlyOnceTheyAreOlderThanTheRetention()
    {
        await using var services = Create();
        var sweeper = SweeperOf(services);
        var old = await RunToEndAsync(services, 1);
        services.Time.Advance(TimeSpan.FromMinutes(30));
        var recent = await RunToEndAsync(services, 2);

        services.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        Assert.NotNull(await services.Store.GetAsync(old.Id));

        services.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Null(await services.Store.GetAsync(old.Id));
        Assert.NotNull(await services.Store.GetAsync(recent.Id));

        services.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Null(await services.Store.GetAsync(recent.Id));
    }

    [Fact]
    public async Task Sweep_NeverRemovesUnfinishedJobs()
    {
        await using var services = Create(options => options.MaxConcurrency = 1);
        var sweeper = SweeperOf(services);
        var gate = new JobGate();
        var running = await services.StartGatedAsync(gate);
        var queued = await services.StartGatedAsync(new JobGate());
        await gate.Started;

        services.Time.Advance(TimeSpan.FromDays(365));
        var removed = await sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(0, removed);
        Assert.Equal(JobStatus.Running, (await services.GetRecordAsync(running.Id)).Status);
        Assert.Equal(JobStatus.Queued, (await services.GetRecordAsync(queued.Id)).Status);
    }

    [Fact]
    public async Task Timer_WhenFakeTimePassesTheRetention_RemovesTheFinishedJob()
    {
        await using var services = Create();
        var sweeper = SweeperOf(services);
        var finished = await RunToEndAsync(services, 1);
        var record = await services.GetRecordAsync(finished.Id);
        var gate = new JobGate();
        var unfinished = await services.StartGatedAsync(gate);
        await gate.Started;
        await sweeper.StartAsync(CancellationToken.None);
        try
        {
            // Advance only once the sweeper's timer exists, or the advance would be lost.
            await services.Time.WaitForTimerAsync(SweepInterval);
            var removal = services.Store.WaitForChangeAsync(finished.Id, record.Version).AsTask();
            Assert.False(removal.IsCompleted);

            services.Time.Advance(Retention + SweepInterval);

            Assert.Null(await removal.WithSafetyTimeout());
            Assert.Null(await services.Store.GetAsync(finished.Id));
            Assert.Equal(JobStatus.Running, (await services.GetRecordAsync(unfinished.Id)).Status);
        }
        finally
        {
            await sweeper.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task MaxRetainedJobs_KeepsTheNewestFinishedJobsAndRemovesTheOldestFirst()
    {
        await using var services = Create(options => options.MaxRetainedJobs = 3);
        var gate = new JobGate();
        var unfinished = await services.StartGatedAsync(gate);
        await gate.Started;
        var finished = new List<LongRunningJob<int>>();
        for (var i = 0; i < 5; i++)
        {
            services.Time.Advance(TimeSpan.FromSeconds(1));
            finished.Add(await RunToEndAsync(services, i));
        }

        Assert.Null(await services.Store.GetAsync(finished[0].Id));
        Assert.Null(await services.Store.GetAsync(finished[1].Id));
        foreach (var job in finished.Skip(2))
        {
            Assert.NotNull(await services.Store.GetAsync(job.Id));
        }

        Assert.NotNull(await services.Store.GetAsync(unfinished.Id));
        Assert.Equal(4, services.Store.Count);
    }

    private static TestServices Create(Action<LongJobsOptions>? configure = null) => TestServices.Create(options =>
    {
        options.RetainFinishedJobsFor = Retention;
        options.RetentionSweepInterval = SweepInterval;
        configure?.Invoke(options);
    });

    private static RetentionSweeper SweeperOf(TestServices services) =>
        services.Provider.GetServices<IHostedService>().OfType<RetentionSweeper>().Single();

    private static async Task<LongRunningJob<int>> RunToEndAsync(TestServices services, int result)
    {
        var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(result));
        Assert.Equal(result, await job.Task.WithSafetyTimeout());
        return job;
    }
}
