using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Retention;

/// <summary>Memory stays bounded under an endless stream of jobs, without waiting for any sweep.</summary>
public sealed class BoundedMemoryTests
{
    [Fact]
    public async Task ManyQuickJobs_StoreNeverHoldsMoreThanMaxRetainedJobsPlusActiveJobs()
    {
        const int MaxRetained = 100;
        const int Waves = 20;
        const int JobsPerWave = 1_000;
        await using var services = TestServices.Create(options =>
        {
            options.MaxRetainedJobs = MaxRetained;
            options.MaxConcurrency = 8;
            options.MaxQueuedJobs = JobsPerWave;
        });
        var largest = 0;

        for (var wave = 0; wave < Waves; wave++)
        {
            var jobs = new List<LongRunningJob<int>>(JobsPerWave);
            for (var i = 0; i < JobsPerWave; i++)
            {
                jobs.Add(await services.Scheduler.StartAsync((_, _) => Task.FromResult(1)));
            }

            await Task.WhenAll(jobs.Select(job => job.Task)).WithSafetyTimeout();

            // Every job of the wave has finished: only finished jobs are left, at most MaxRetained of them.
            Assert.Empty(services.Scheduler.GetActiveJobs());
            largest = Math.Max(largest, services.Store.Count);
            Assert.True(services.Store.Count <= MaxRetained, $"Wave {wave}: the store holds {services.Store.Count} jobs.");
        }

        Assert.Equal(MaxRetained, services.Store.Count);
        Assert.Equal(MaxRetained, largest);
    }

    [Fact]
    public async Task ManyQuickJobsWhileOthersRun_StoreHoldsMaxRetainedJobsPlusTheActiveOnes()
    {
        const int MaxRetained = 50;
        await using var services = TestServices.Create(options =>
        {
            options.MaxRetainedJobs = MaxRetained;
            options.MaxConcurrency = 4;
        });
        var gates = Enumerable.Range(0, 3).Select(_ => new JobGate()).ToArray();
        var blocked = new List<LongRunningJob<int>>();
        foreach (var gate in gates)
        {
            blocked.Add(await services.StartGatedAsync(gate));
            await gate.Started;
        }

        for (var i = 0; i < 5_000; i++)
        {
            // One slot is left: each quick job has finished before the next starts.
            var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(i));
            await job.Task.WithSafetyTimeout();
            Assert.True(services.Store.Count <= MaxRetained + gates.Length, $"After job {i} the store holds {services.Store.Count} jobs.");
        }

        Assert.Equal(MaxRetained + gates.Length, services.Store.Count);
        foreach (var job in blocked)
        {
            Assert.Equal(JobStatus.Running, (await services.GetRecordAsync(job.Id)).Status);
        }
    }
}
