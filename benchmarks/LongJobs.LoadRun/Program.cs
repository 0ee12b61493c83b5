using System.Diagnostics;
using System.Globalization;
using LongJobs.Server.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: dotnet run -c Release --project benchmarks/LongJobs.LoadRun [-- jobs]
// Starts and completes that many no-op ad-hoc jobs (default 200,000) in waves of 10,000, with retention on
// (MaxRetainedJobs = 10,000), and reports throughput, allocations per job and the managed heap after each tenth,
// to show whether memory stays flat.
var jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
const int Wave = 10_000;

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddLongJobs(options =>
{
    options.MaxConcurrency = Environment.ProcessorCount * 4;
    options.MaxQueuedJobs = Wave;
    options.MaxRetainedJobs = 10_000;
});
using var host = builder.Build();
await host.StartAsync();
var scheduler = host.Services.GetRequiredService<IJobScheduler>();

await RunWaveAsync(scheduler, Wave); // warm-up
var heapAtStart = HeapMegabytes();
var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
var clock = Stopwatch.StartNew();
Console.WriteLine($"{jobs:N0} jobs, {Environment.ProcessorCount} cores; heap at start {heapAtStart:F1} MB");
for (var done = 0; done < jobs;)
{
    var count = Math.Min(Wave, jobs - done);
    await RunWaveAsync(scheduler, count);
    done += count;
    if (done % Math.Max(Wave, jobs / 10 / Wave * Wave) == 0 || done == jobs)
    {
        Console.WriteLine($"  {done,12:N0} jobs  {done / clock.Elapsed.TotalSeconds,10:N0} jobs/s  heap {HeapMegabytes(),6:F1} MB");
    }
}

clock.Stop();
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
Console.WriteLine($"{jobs / clock.Elapsed.TotalSeconds:N0} jobs/s; {allocated / jobs:N0} bytes allocated per job; heap {heapAtStart:F1} MB -> {HeapMegabytes():F1} MB");
await host.StopAsync();

static async Task RunWaveAsync(IJobScheduler scheduler, int count)
{
    var tasks = new Task[count];
    for (var i = 0; i < count; i++)
    {
        var value = i;
        tasks[i] = (await scheduler.StartAsync((_, _) => Task.FromResult(value))).Task;
    }

    await Task.WhenAll(tasks);
}

static double HeapMegabytes() => GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
