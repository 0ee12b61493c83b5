using System.Diagnostics;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

/// <summary>
/// The two shapes of issue 14's targets, on one node: a steady stream (32 producers, each starting registered no-op jobs
/// one request at a time while the workers run them) and a burn-down (every job inserted in bulk first, then worked off
/// by a node that starts afterwards, River's benchmark shape). Each reports jobs/s and, on PostgreSQL, commits and WAL
/// bytes per job; the burn-down also the bulk insert's rate.
/// </summary>
internal static class Shapes
{
    private const int Producers = 32;

    public static async Task SteadyAsync(int jobs, string? postgres)
    {
        using var host = BuildHost(postgres, out _);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var finished = CountFinished(host);
        await ProduceAsync(scheduler, Producers); // warm-up: the pool's connections and prepared statements
        await finished.WaitForAsync(Producers);

        var atStart = postgres is null ? default : await DatabaseCounters.ReadAsync(postgres);
        var clock = Stopwatch.StartNew();
        var latencies = await ProduceAsync(scheduler, jobs);
        await finished.WaitForAsync(jobs + Producers);
        clock.Stop();
        Report($"steady stream, {Producers} producers, {jobs:N0} jobs", jobs, clock.Elapsed, atStart, postgres);
        Array.Sort(latencies);
        Console.WriteLine($"  start latency p50 {latencies[jobs / 2].TotalMilliseconds:F1} ms, p99 {latencies[jobs * 99 / 100].TotalMilliseconds:F1} ms");
        await host.StopAsync();
    }

    public static async Task BurnDownAsync(int jobs, string? postgres)
    {
        string schema;
        using (var producer = BuildHost(postgres, out schema, registerKind: false))
        {
            // The producer runs no workers: it only inserts, as an API node would.
            var store = producer.Services.GetRequiredService<IJobStore>();
            var now = DateTimeOffset.UtcNow;
            var records = Enumerable.Range(0, jobs).Select(i => new JobRecord
            {
                Id = Guid.CreateVersion7(),
                Kind = "no-op",
                CreatedAt = now.AddTicks(i * 10),
                Request = System.Text.Json.JsonSerializer.SerializeToElement(new NoOpRequest(i)),
            }).ToList();
            await store.InsertManyAsync(records[..1]); // migrates the schema
            var atInsert = postgres is null ? default : await DatabaseCounters.ReadAsync(postgres);
            var insertClock = Stopwatch.StartNew();
            const int Batch = 10_000;
            for (var start = 1; start < jobs; start += Batch)
            {
                await store.InsertManyAsync(records[start..Math.Min(jobs, start + Batch)]);
            }

            insertClock.Stop();
            Report($"bulk insert, {jobs - 1:N0} jobs in batches of {Batch:N0}", jobs - 1, insertClock.Elapsed, atInsert, postgres);
        }

        using var worker = BuildHost(postgres, out _, inSchema: schema);
        var finished = CountFinished(worker);
        var atStart = postgres is null ? default : await DatabaseCounters.ReadAsync(postgres);
        var clock = Stopwatch.StartNew();
        await worker.StartAsync();
        await finished.WaitForAsync(jobs);
        clock.Stop();
        Report($"burn-down of {jobs:N0} queued jobs", jobs, clock.Elapsed, atStart, postgres);
        await worker.StopAsync();
    }

    /// <summary>Starts <paramref name="jobs"/> jobs from <see cref="Producers"/> concurrent producers; returns each start's latency.</summary>
    private static async Task<TimeSpan[]> ProduceAsync(IJobScheduler scheduler, int jobs)
    {
        var latencies = new TimeSpan[jobs];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < jobs)
            {
                var began = Stopwatch.GetTimestamp();
                await scheduler.StartKindAsync("no-op", new NoOpRequest(index));
                latencies[index] = Stopwatch.GetElapsedTime(began);
            }
        })));
        return latencies;
    }

    private static IHost BuildHost(string? postgres, out string schema, bool registerKind = true, string? inSchema = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var longJobs = builder.Services.AddLongJobs(options =>
        {
            options.MaxConcurrency = Environment.ProcessorCount * 16;
            options.MaxQueuedJobs = 1_000_000;
            options.MaxRetainedJobs = 1_000_000;
        });
        if (registerKind)
        {
            longJobs.AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op");
        }

        var name = inSchema ?? "loadrun_" + Guid.NewGuid().ToString("N")[..8];
        if (postgres is not null)
        {
            longJobs.UsePostgreSql(postgres, store => store.Schema = name);
        }

        schema = name;
        return builder.Build();
    }

    private static FinishedCounter CountFinished(IHost host)
    {
        var counter = new FinishedCounter();
        host.Services.GetRequiredService<IJobStore>().JobFinished += _ => counter.Add();
        return counter;
    }

    private static void Report(string what, int jobs, TimeSpan elapsed, DatabaseCounters atStart, string? postgres)
    {
        var line = $"{what}: {jobs / elapsed.TotalSeconds:N0} jobs/s ({elapsed.TotalSeconds:F1} s)";
        if (postgres is not null)
        {
            var atEnd = DatabaseCounters.ReadAsync(postgres).GetAwaiter().GetResult();
            line += $"; {(double)(atEnd.Commits - atStart.Commits) / jobs:F3} commits and {(atEnd.WalBytes - atStart.WalBytes) / jobs:N0} bytes of WAL per job";
        }

        Console.WriteLine(line);
    }

    /// <summary>Counts the jobs this node finished; completes waits when the count reaches theirs.</summary>
    private sealed class FinishedCounter
    {
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waits = [];
        private int _count;

        public void Add()
        {
            lock (_gate)
            {
                _count++;
                foreach (var wait in _waits.Where(wait => wait.Count <= _count))
                {
                    wait.Reached.TrySetResult();
                }
            }
        }

        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (_count >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add((count, reached));
                return reached.Task;
            }
        }
    }
}
