using System.Diagnostics;
using LongJobs.Server.Execution;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Benchmarks.Memory;

/// <summary>
/// Memory of the in-memory store: the managed bytes each finished job keeps while it is retained, and a soak of
/// short jobs with retention on (the default 10,000 newest finished jobs kept) with RSS and the managed heap sampled
/// over time, to show whether memory stays flat.
/// </summary>
internal static class MemoryRun
{
    public static async Task<int> RunAsync(bool quick)
    {
        var retainedJobs = quick ? 5_000 : 100_000;
        var soakJobs = quick ? 50_000 : 2_000_000;

        Report.Heading($"Retained memory per finished job, in-memory store ({retainedJobs:N0} finished jobs kept; managed heap after a full collection)");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var registered in new[] { false, true })
        {
            using var host = await StartAsync(maxRetained: retainedJobs + 1_000, maxQueued: retainedJobs);
            var scheduler = host.Services.GetRequiredService<IJobScheduler>();
            await RunWaveAsync(scheduler, 1_000, registered); // warm-up: the first 1,000 retained jobs are not counted
            var before = GC.GetTotalMemory(forceFullCollection: true);
            await RunWaveAsync(scheduler, retainedJobs, registered);
            var after = GC.GetTotalMemory(forceFullCollection: true);
            rows.Add([registered ? "registered kind (request and result {\"value\":n} as JSON)" : "ad-hoc (result an int)", Report.N((after - before) / (double)retainedJobs)]);
            GC.KeepAlive(scheduler);
        }

        Report.Table(["job", "retained bytes per finished job"], rows);

        // The soak: registered jobs in waves, RSS and heap sampled about every tenth of the run.
        const int Wave = 10_000;
        using (var host = await StartAsync(maxRetained: 10_000, maxQueued: Wave))
        {
            var scheduler = host.Services.GetRequiredService<IJobScheduler>();
            await RunWaveAsync(scheduler, Wave, registered: true);
            var samples = new List<(int Jobs, TimeSpan Elapsed, double RssMb, double HeapMb, double LiveMb)>();
            var clock = Stopwatch.StartNew();
            void Sample(int done)
            {
                var (rss, heap) = (Environment.WorkingSet / 1048576.0, GC.GetTotalMemory(forceFullCollection: false) / 1048576.0);
                samples.Add((done, clock.Elapsed, rss, heap, GC.GetTotalMemory(forceFullCollection: true) / 1048576.0));
            }

            Sample(0);
            for (var done = 0; done < soakJobs;)
            {
                await RunWaveAsync(scheduler, Wave, registered: true);
                done += Wave;
                if (done % (soakJobs / 10) == 0)
                {
                    Sample(done);
                }
            }

            Report.Heading($"Soak: {soakJobs:N0} registered no-op jobs in waves of {Wave:N0}, retention on (10,000 newest finished jobs kept), sampled each tenth");
            Report.Table(
                ["jobs done", "elapsed s", "jobs/s so far", "RSS MB", "managed heap MB", "live managed MB (after a full collection)"],
                samples.Select(sample => (IReadOnlyList<string>)
                [
                    Report.N(sample.Jobs), Report.N(sample.Elapsed.TotalSeconds, 1),
                    sample.Jobs == 0 ? "" : Report.N(sample.Jobs / sample.Elapsed.TotalSeconds),
                    Report.N(sample.RssMb, 1), Report.N(sample.HeapMb, 1), Report.N(sample.LiveMb, 1),
                ]));
            var early = samples[Math.Min(2, samples.Count - 1)];
            var last = samples[^1];
            Report.Line($"From {Report.N(early.Jobs)} jobs to the end: RSS {Report.N(early.RssMb, 1)} → {Report.N(last.RssMb, 1)} MB ({Report.N((last.RssMb - early.RssMb) / early.RssMb * 100, 1)} %), live managed memory {Report.N(early.LiveMb, 1)} → {Report.N(last.LiveMb, 1)} MB. The jobs/s column includes the full collections taken for the samples.");
        }

        return 0;
    }

    private static async Task<IHost> StartAsync(int maxRetained, int maxQueued)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services
            .AddLongJobs(options =>
            {
                options.MaxRetainedJobs = maxRetained;
                options.MaxQueuedJobs = maxQueued;
            })
            .AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op");
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task RunWaveAsync(IJobScheduler scheduler, int count, bool registered)
    {
        var tasks = new Task[count];
        for (var i = 0; i < count; i++)
        {
            var value = i;
            tasks[i] = registered
                ? (await scheduler.StartKindAsync("no-op", new NoOpRequest(value))).Task
                : (await scheduler.StartAsync((_, _) => Task.FromResult(value))).Task;
        }

        await Task.WhenAll(tasks);
    }
}
