using System.Diagnostics;
using System.Runtime;
using System.Text.Json;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// The two shapes of issue 14's targets: a steady stream (32 producers, each starting registered no-op jobs one request
/// at a time while the workers run them, on one node or split across several nodes on one database) and a burn-down
/// (every job inserted in bulk first from a node that runs no workers, then worked off by a node that starts afterwards,
/// River's benchmark shape). Nodes are hosts in this process, each with its own connection pool; each run has a fresh
/// schema, dropped at its end.
/// </summary>
internal static class LoadShapes
{
    /// <summary>The steady stream's concurrent producers.</summary>
    public const int Producers = 32;

    /// <summary>The heavier steady stream's producers: each node's flushes hold as many jobs on two nodes as on one at <see cref="Producers"/>.</summary>
    public const int HeavyProducers = 64;

    /// <summary>Jobs per <see cref="IJobRecords.InsertManyAsync"/> call in the burn-down.</summary>
    public const int InsertBatch = 10_000;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>Starts <paramref name="jobs"/> no-op jobs from <paramref name="producers"/> producers split across <paramref name="nodes"/> nodes, until all have finished.</summary>
    /// <param name="jobs">The jobs measured, after warm-up rounds of a third as many until the JIT settles (<see cref="WarmUpAsync"/>).</param>
    /// <param name="nodes">The nodes sharing the store (PostgreSQL only when more than one).</param>
    /// <param name="postgres">The connection string, or <see langword="null"/> for the in-memory store.</param>
    /// <param name="besideClusterLimit">
    /// Whether the nodes also register a kind limited across nodes (<see cref="Server.Kinds.JobKindOptions.MaxClusterConcurrency"/>)
    /// that runs no job: its claims count running jobs, and must not cost the other kinds their starts without a claim.
    /// </param>
    /// <param name="producers">The concurrent producers, <see cref="Producers"/> for issue 14's shape.</param>
    public static async Task<ShapeResult> SteadyAsync(int jobs, int nodes, string? postgres, bool besideClusterLimit = false, int producers = Producers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        if (postgres is null)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(nodes, 1);
        }

        var schema = NewSchema();
        var slots = Math.Max(Environment.ProcessorCount * 64, 4 * ((producers + nodes - 1) / nodes));
        var hosts = Enumerable.Range(0, nodes).Select(_ => BuildHost(postgres, schema, clusterLimitedKind: besideClusterLimit, slots: slots)).ToList();
        try
        {
            var finished = new FinishedCounter();
            foreach (var host in hosts)
            {
                // One after another: the first migrates the schema.
                finished.Count(host);
                await host.StartAsync();
            }

            var schedulers = hosts.Select(host => host.Services.GetRequiredService<IJobScheduler>()).ToList();
            // The database's cost is counted over the warm-up too: a session reports its commits up to a second late (ten
            // when it falls idle), so counters read between the two would move the warm-up's last commits into the stream's.
            var atStart = postgres is null ? default : await DatabaseCounters.ReadAsync(postgres);
            var warmUp = await WarmUpAsync(schedulers, finished, jobs, producers);

            var cpuAtStart = CpuTimes.Read();
            var clock = Stopwatch.StartNew();
            var latencies = await ProduceAsync(schedulers, jobs, producers);
            await finished.WaitForAsync(jobs + warmUp);
            clock.Stop();
            var cpu = CpuTimes.Read().Since(cpuAtStart);
            await StopAsync(hosts);
            DatabaseCounters? cost = postgres is null ? null : (await DatabaseCounters.SettledAsync(postgres)).Since(atStart);
            return new ShapeResult($"steady stream, {producers} producers, {nodes} node{(nodes == 1 ? "" : "s")}{(besideClusterLimit ? ", beside a kind limited across nodes" : "")}", jobs, clock.Elapsed, cost, latencies) { CostedJobs = warmUp + jobs, Cpu = cpu };
        }
        finally
        {
            await StopAsync(hosts);
            await DropSchemaAsync(postgres, schema);
        }
    }

    /// <summary>
    /// Inserts <paramref name="jobs"/> queued no-op jobs with <see cref="IJobRecords.InsertManyAsync"/> (batches of
    /// <see cref="InsertBatch"/>) from a node that runs no workers, then starts a worker node and times it until all have
    /// finished.
    /// </summary>
    /// <returns>The bulk insert (all jobs but the first, whose insert migrated the schema) and the burn-down.</returns>
    public static async Task<(ShapeResult Insert, ShapeResult BurnDown)> BurnDownAsync(int jobs, string postgres)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 2);
        ArgumentNullException.ThrowIfNull(postgres);
        var schema = NewSchema();
        var hosts = new List<IHost>();
        try
        {
            var now = DateTimeOffset.UtcNow;
            var records = Enumerable.Range(0, jobs).Select(i => new JobRecord
            {
                Id = Guid.CreateVersion7(),
                Kind = "no-op",
                CreatedAt = now.AddTicks(i * 10),
                Request = JsonSerializer.SerializeToElement(new NoOpRequest(i)),
            }).ToList();

            // The producer is not even started: it only inserts, as an API node would.
            var producer = BuildHost(postgres, schema, registerKind: false);
            hosts.Add(producer);
            var store = producer.Services.GetRequiredService<IJobStore>();
            await store.InsertManyAsync(records[..1]); // migrates the schema
            var atInsert = await DatabaseCounters.ReadAsync(postgres);
            var cpuAtInsert = CpuTimes.Read();
            var insertClock = Stopwatch.StartNew();
            for (var start = 1; start < jobs; start += InsertBatch)
            {
                await store.InsertManyAsync(records[start..Math.Min(jobs, start + InsertBatch)]);
            }

            insertClock.Stop();
            var insertCpu = CpuTimes.Read().Since(cpuAtInsert);
            await StopAsync(hosts);
            var insert = new ShapeResult($"bulk insert (InsertManyAsync, {InsertBatch:N0} a call)", jobs - 1, insertClock.Elapsed, (await DatabaseCounters.SettledAsync(postgres)).Since(atInsert), []) { Cpu = insertCpu };

            var worker = BuildHost(postgres, schema);
            hosts.Add(worker);
            var finished = new FinishedCounter();
            finished.Count(worker);
            var atStart = await DatabaseCounters.ReadAsync(postgres);
            var cpuAtStart = CpuTimes.Read();
            var clock = Stopwatch.StartNew();
            await worker.StartAsync();
            await finished.WaitForAsync(jobs);
            clock.Stop();
            var cpu = CpuTimes.Read().Since(cpuAtStart);
            await StopAsync(hosts);
            var burnDown = new ShapeResult($"burn-down of {jobs:N0} queued jobs, 1 node", jobs, clock.Elapsed, (await DatabaseCounters.SettledAsync(postgres)).Since(atStart), []) { Cpu = cpu };
            return (insert, burnDown);
        }
        finally
        {
            await StopAsync(hosts);
            await DropSchemaAsync(postgres, schema);
        }
    }

    /// <summary>
    /// The jobs of one warm-up round, at least one per producer: the rounds fill the pools' connections and prepared
    /// statements, and take the JIT through its tiers.
    /// </summary>
    private static int WarmUpJobs(int jobs, int producers) => Math.Max(producers, jobs / 3);

    /// <summary>The most methods a warm-up round may compile for the JIT to count as settled.</summary>
    private const int SettledCompilations = 20;

    /// <summary>The most warm-up rounds before a stream is measured, settled or not.</summary>
    private const int MaxWarmUpRounds = 12;

    /// <summary>
    /// Runs rounds of <see cref="WarmUpJobs"/> until the JIT settles (a round compiles at most
    /// <see cref="SettledCompilations"/> methods) or <see cref="MaxWarmUpRounds"/> have run. A server runs for hours, and
    /// its steady stream is what users compare. From a cold start the JIT recompiles the hot paths for about 80,000 jobs
    /// (eight rounds of 10,000 on this machine, perf: up to a quarter of the machine's CPU meanwhile), so a fixed warm-up
    /// of 10,000 measured the start more than the stream, and the first shape of a run more than the later ones.
    /// </summary>
    /// <returns>The jobs run.</returns>
    private static async Task<int> WarmUpAsync(List<IJobScheduler> schedulers, FinishedCounter finished, int jobs, int producers)
    {
        var round = WarmUpJobs(jobs, producers);
        var done = 0;
        for (var rounds = 1; ; rounds++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            await ProduceAsync(schedulers, round, producers);
            done += round;
            await finished.WaitForAsync(done);
            if (JitInfo.GetCompiledMethodCount() - compiled <= SettledCompilations || rounds == MaxWarmUpRounds)
            {
                return done;
            }
        }
    }

    /// <summary>A fresh schema name for one run.</summary>
    public static string NewSchema() => $"bench_{Guid.NewGuid():N}"[..20];

    /// <summary>Drops a run's schema (nothing on the in-memory store).</summary>
    public static async Task DropSchemaAsync(string? postgres, string schema)
    {
        if (postgres is null)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Starts <paramref name="jobs"/> jobs from <paramref name="producers"/> concurrent producers, producer <c>p</c> on node <c>p mod nodes</c>; returns each start's latency in ms.</summary>
    private static async Task<double[]> ProduceAsync(List<IJobScheduler> schedulers, int jobs, int producers)
    {
        var latencies = new double[jobs];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(producer => Task.Run(async () =>
        {
            var scheduler = schedulers[producer % schedulers.Count];
            int index;
            while ((index = Interlocked.Increment(ref next)) < jobs)
            {
                var began = Stopwatch.GetTimestamp();
                await scheduler.StartKindAsync("no-op", new NoOpRequest(index));
                latencies[index] = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
            }
        })));
        return latencies;
    }

    /// <summary>A node: a host with the no-op kind (unless <paramref name="registerKind"/> is false) on <paramref name="postgres"/>'s <paramref name="schema"/>, or in memory.</summary>
    /// <param name="postgres">The connection string, or <see langword="null"/> for the in-memory store.</param>
    /// <param name="schema">The run's schema.</param>
    /// <param name="registerKind">Whether the node runs no-op jobs (a node that only inserts does not).</param>
    /// <param name="clusterLimitedKind">Whether it also registers an idle kind limited across nodes.</param>
    /// <param name="slots">The node's slots (MaxConcurrency); 64 a core unless given.</param>
    internal static IHost BuildHost(string? postgres, string schema, bool registerKind = true, bool clusterLimitedKind = false, int? slots = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders(); // and, without the defaults, no configuration files watched in the current directory
        var longJobs = builder.Services.AddLongJobs(options =>
        {
            // Slots are counters, not threads. A start that runs its job at once holds a slot from its insert on (a few
            // milliseconds in a flush of starts), so each of the 32 producers may hold one while jobs run: 16 a core left
            // none free, and every start queued its job for a claim. A steady stream gives a node at least four a producer.
            options.MaxConcurrency = slots ?? Environment.ProcessorCount * 64;
            options.MaxQueuedJobs = 1_000_000;
            options.MaxRetainedJobs = 1_000_000;
        });
        if (registerKind)
        {
            longJobs.AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op");
            if (clusterLimitedKind)
            {
                longJobs.AddJob<NoOpJob, NoOpRequest, NoOpResult>("cluster-limited", kind => kind.MaxClusterConcurrency = 1);
            }
        }

        if (postgres is not null)
        {
            longJobs.UsePostgreSql(DatabaseCounters.Tag(postgres), store => store.Schema = schema);
        }

        return builder.Build();
    }

    /// <summary>Stops and disposes the hosts not yet stopped (their pools close, so their sessions end); idempotent.</summary>
    internal static async Task StopAsync(List<IHost> hosts)
    {
        foreach (var host in hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        hosts.Clear();
    }

    /// <summary>Counts the jobs the nodes finished; completes waits when the count reaches theirs; fails them if a job did not succeed.</summary>
    private sealed class FinishedCounter
    {
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waits = [];
        private int _count;
        private Exception? _failure;

        public void Count(IHost host) =>
            host.Services.GetRequiredService<IJobStore>().JobFinished += Add;

        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (_failure is not null)
                {
                    return Task.FromException(_failure);
                }

                if (_count >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add((count, reached));
                return reached.Task.WaitAsync(Timeout);
            }
        }

        private void Add(JobRecord job)
        {
            lock (_gate)
            {
                _count++;
                if (job.Status != JobStatus.Succeeded)
                {
                    _failure ??= new InvalidOperationException($"Job {job.Id} ended {job.Status}: {job.Error?.Title} {job.Error?.Detail}");
                }

                foreach (var wait in _waits.Where(wait => _failure is not null || wait.Count <= _count))
                {
                    _ = _failure is null ? wait.Reached.TrySetResult() : wait.Reached.TrySetException(_failure);
                }
            }
        }
    }
}

/// <summary>One measured phase: the jobs (or transactions) done, the time, and on PostgreSQL what they cost the database.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Jobs">The jobs (or transactions) done.</param>
/// <param name="Elapsed">The time they took.</param>
/// <param name="Cost">The database's counters over the phase; <see langword="null"/> on the in-memory store.</param>
/// <param name="StartLatenciesMs">Each start's latency in ms, where starts were timed.</param>
internal sealed record ShapeResult(string Name, int Jobs, TimeSpan Elapsed, DatabaseCounters? Cost, IReadOnlyList<double> StartLatenciesMs)
{
    public double JobsPerSecond => Jobs / Elapsed.TotalSeconds;

    /// <summary>The jobs <see cref="Cost"/> was counted over: the measured ones, and any warm-up counted with them.</summary>
    public int? CostedJobs { get; init; }

    public double? CommitsPerJob => Cost is { } cost ? (double)cost.Commits / (CostedJobs ?? Jobs) : null;

    public double? WritingTransactionsPerJob => Cost is { } cost ? (double)cost.WritingTransactions / (CostedJobs ?? Jobs) : null;

    public double? WalBytesPerJob => Cost is { } cost ? (double)cost.WalBytes / (CostedJobs ?? Jobs) : null;

    /// <summary>The CPU time used while the phase was timed; <see langword="null"/> where it was not counted.</summary>
    public CpuTimes? Cpu { get; init; }

    /// <summary>This process's CPU µs a job (the nodes and their producers).</summary>
    public double? ProcessCpuPerJob => Cpu is { } cpu ? cpu.Process.TotalMicroseconds / Jobs : null;

    /// <summary>The rest of the machine's CPU µs a job (the database, on the benchmark's machine).</summary>
    public double? RestCpuPerJob => Cpu?.Rest is { } rest ? rest.TotalMicroseconds / Jobs : null;

    /// <summary>One line, for the load run's console.</summary>
    public override string ToString()
    {
        var line = $"{Name}: {Jobs:N0} jobs, {JobsPerSecond:N0} jobs/s ({Elapsed.TotalSeconds:F1} s)";
        if (Cost is not null)
        {
            line += $"; {CommitsPerJob:F3} commits ({WritingTransactionsPerJob:F3} writing) and {WalBytesPerJob:N0} bytes of WAL per job";
        }

        if (ProcessCpuPerJob is { } process)
        {
            line += $"; CPU a job {Report.N(process)} µs in this process, {(RestCpuPerJob is { } rest ? Report.N(rest) : "?")} µs in the rest of the machine";
        }

        if (StartLatenciesMs.Count > 0)
        {
            line += $"; start latency p50 {Report.Percentile(StartLatenciesMs, 50):F1} ms, p99 {Report.Percentile(StartLatenciesMs, 99):F1} ms";
        }

        return line;
    }
}
