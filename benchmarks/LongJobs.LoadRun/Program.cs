using System.Diagnostics;
using System.Globalization;
using LongJobs.Benchmarks;
using LongJobs.Benchmarks.PostgreSql;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: dotnet run -c Release --project benchmarks/LongJobs.LoadRun [-- jobs [ad-hoc|registered [postgres-connection-string]]]
// Starts and completes that many no-op jobs (default 200,000) in waves, with retention on (MaxRetainedJobs =
// 10,000), and reports throughput, allocations per job and the managed heap after each tenth, to show whether
// memory stays flat. Ad-hoc jobs (the default) run from this process's queue; jobs of a registered kind go
// through the store's queue, in memory or, given a connection string, in PostgreSQL (one node). On PostgreSQL it also
// reports what each job cost the database: commits (pg_stat_database.xact_commit of the database, every transaction
// in it, reads included) and WAL bytes (the whole cluster's), from before the measured waves to after the host stopped.
// With "steady" or "burn-down" instead, it runs that shape of issue 14's targets (LoadShapes, shared with the benchmark
// suite's postgres part; the burn-down needs the connection string); a steady stream runs on as many nodes as a fourth
// argument says (default 1), from as many producers as a fifth says (default 32). "steady-beside-limit" is the steady
// stream on nodes that also register an idle kind limited across nodes (MaxClusterConcurrency), whose claims count
// running jobs. With "delayed", it measures how late jobs started for later begin, on one node and, given the
// connection string, two (DelayedStartRun, also in the postgres part).
var jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
if (args.Length > 1 && args[1] == "delayed")
{
    var connectionString = args.Length > 2 ? args[2] : null;
    foreach (var nodes in connectionString is null ? [1] : new[] { 1, 2 })
    {
        var lateness = await DelayedStartRun.MeasureAsync(jobs, nodes, connectionString);
        Console.WriteLine($"{jobs:N0} delayed jobs, {nodes} node{(nodes == 1 ? "" : "s")}, {(connectionString is null ? "in-memory" : "PostgreSQL")}: "
            + $"late by p50 {Report.Percentile(lateness, 50):F1} ms, p99 {Report.Percentile(lateness, 99):F1} ms, max {lateness.Max():F1} ms");
    }

    return;
}

if (args.Length > 1 && args[1] is "steady" or "steady-beside-limit" or "burn-down")
{
    var connectionString = args.Length > 2 ? args[2] : null;
    if (args[1] != "burn-down")
    {
        var nodes = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        var producers = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : LoadShapes.Producers;
        Console.WriteLine(await LoadShapes.SteadyAsync(jobs, nodes, connectionString, besideClusterLimit: args[1] == "steady-beside-limit", producers: producers));
    }
    else
    {
        var (insert, burnDown) = await LoadShapes.BurnDownAsync(jobs, connectionString ?? throw new ArgumentException("The burn-down needs a PostgreSQL connection string."));
        Console.WriteLine(insert);
        Console.WriteLine(burnDown);
    }

    return;
}

var registered = args.Length > 1 && args[1] == "registered";
var postgres = args.Length > 2 ? args[2] : null;
var wave = postgres is null ? 10_000 : 1_000;
var schema = "loadrun_" + Guid.NewGuid().ToString("N")[..8];

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.ClearProviders(); // and, without the defaults, no configuration files watched in the current directory
var longJobs = builder.Services.AddLongJobs(options =>
{
    options.MaxConcurrency = Environment.ProcessorCount * 4;
    options.MaxQueuedJobs = wave;
    options.MaxRetainedJobs = 10_000;
});
longJobs.AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op");
if (postgres is not null)
{
    longJobs.UsePostgreSql(DatabaseCounters.Tag(postgres), store => store.Schema = schema);
}

using var host = builder.Build();
await host.StartAsync();
var scheduler = host.Services.GetRequiredService<IJobScheduler>();

await RunWaveAsync(scheduler, wave, registered); // warm-up
var databaseAtStart = postgres is null ? default : await DatabaseCounters.ReadAsync(postgres);
var heapAtStart = HeapMegabytes();
var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
var clock = Stopwatch.StartNew();
Console.WriteLine($"{jobs:N0} {(registered ? "registered" : "ad-hoc")} jobs on the {(postgres is null ? "in-memory" : "PostgreSQL")} store, {Environment.ProcessorCount} cores; heap at start {heapAtStart:F1} MB");
for (var done = 0; done < jobs;)
{
    var count = Math.Min(wave, jobs - done);
    await RunWaveAsync(scheduler, count, registered);
    done += count;
    if (done % Math.Max(wave, jobs / 10 / wave * wave) == 0 || done == jobs)
    {
        Console.WriteLine($"  {done,12:N0} jobs  {done / clock.Elapsed.TotalSeconds,10:N0} jobs/s  heap {HeapMegabytes(),6:F1} MB");
    }
}

clock.Stop();
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
Console.WriteLine($"{jobs / clock.Elapsed.TotalSeconds:N0} jobs/s; {allocated / jobs:N0} bytes allocated per job; heap {heapAtStart:F1} MB -> {HeapMegabytes():F1} MB");
await host.StopAsync();
if (postgres is not null)
{
    // Its sessions end with the host, and report their last commits then.
    host.Dispose();
    var cost = (await DatabaseCounters.SettledAsync(postgres)).Since(databaseAtStart);
    Console.WriteLine($"{(double)cost.Commits / jobs:F2} commits ({(double)cost.WritingTransactions / jobs:F2} writing) and {cost.WalBytes / jobs:N0} bytes of WAL per job");
    await LoadShapes.DropSchemaAsync(postgres, schema);
}

static async Task RunWaveAsync(IJobScheduler scheduler, int count, bool registered)
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

static double HeapMegabytes() => GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
