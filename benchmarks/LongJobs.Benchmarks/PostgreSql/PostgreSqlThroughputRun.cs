using System.Diagnostics;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// Issue 14's measures on one PostgreSQL cluster, one after another in one run: pgbench's simple-update transactions/s
/// (the limit), LongJobs' steady stream on one and two nodes (in alternated pairs, <see cref="SteadyPairsAsync"/>), its
/// bulk insert and burn-down (<see cref="LoadShapes"/>),
/// Hangfire.PostgreSql on the steady shape with one and two nodes, and the completion notice across nodes beside the
/// in-memory store's (<see cref="CompletionNoticeRun"/>). Each run has its own fresh schema.
/// </summary>
internal static class PostgreSqlThroughputRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>How long Hangfire may run no job before the jobs it has not run count as left unrun: its queue is polled every second.</summary>
    private static readonly TimeSpan HangfireStall = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string connectionString, string? pgbench, bool quick)
    {
        var (steadyJobs, burnDownJobs, hangfireJobs, noticeJobs, delayedJobs) = quick ? (1_000, 5_000, 200, 30, 100) : (30_000, 100_000, 2_000, 300, 1_000);
        var steadyPairs = quick ? 1 : 3;
        var (pgbenchScale, pgbenchSeconds) = quick ? (1, 3) : (10, 15);
        var version = await QueryAsync(connectionString, "SHOW server_version");
        Report.Line($"\nLoad average at the start of the PostgreSQL part: {LoadAverage()}");

        var limit = pgbench is null ? null : await PgBenchRun.RunAsync(pgbench, connectionString, pgbenchScale, pgbenchSeconds);
        var (steady1, steady2, steadyRatios) = await SteadyPairsAsync(steadyJobs, steadyPairs, connectionString, LoadShapes.Producers);
        var (heavy1, heavy2, heavyRatios) = await SteadyPairsAsync(steadyJobs, steadyPairs, connectionString, LoadShapes.HeavyProducers);
        var (insert, burnDown) = await LoadShapes.BurnDownAsync(burnDownJobs, connectionString);
        var hangfire1 = await RunHangfireAsync(connectionString, hangfireJobs, 1);
        var hangfire2 = await RunHangfireAsync(connectionString, hangfireJobs, 2);
        var noticePostgres = await CompletionNoticeRun.MeasureAsync(noticeJobs, connectionString);
        var noticeInMemory = await CompletionNoticeRun.MeasureAsync(noticeJobs, null);
        var delayed1 = await DelayedStartRun.MeasureAsync(delayedJobs, 1, connectionString);
        var delayed2 = await DelayedStartRun.MeasureAsync(delayedJobs, 2, connectionString);
        var delayedInMemory = await DelayedStartRun.MeasureAsync(delayedJobs, 1, null);

        Report.Heading($"PostgreSQL {version} on this machine, one cluster (fsync on), one run: the measures one after another (producers starting no-op jobs one request each on the steady rows: {LoadShapes.Producers}, issue 14's shape, and {LoadShapes.HeavyProducers}; ratios to pgbench's transactions/s and to Hangfire.PostgreSql on the same shape and nodes)");
        var tps = limit?.JobsPerSecond;
        Report.Table(
            ["", "jobs/s", "commits/job", "writing tx/job", "WAL bytes/job", "CPU µs/job: nodes / rest", "start p50 ms", "start p99 ms", "÷ pgbench tx/s", "÷ Hangfire"],
            [
                limit is null
                    ? ["pgbench (the limit): not found, run with --pgbench PATH", "—", "—", "—", "—", "", "", "", "", ""]
                    : Row($"{limit.Name}, {pgbenchSeconds} s (the limit; transactions/s)", limit, null, null),
                Row($"LongJobs {steady1.Median.Name}, {steadyJobs:N0} jobs{steady1.Spread}", steady1.Median, tps, hangfire1),
                Row($"LongJobs {steady2.Median.Name}, {steadyJobs:N0} jobs{steady2.Spread}", steady2.Median, tps, hangfire2),
                Row($"LongJobs {heavy1.Median.Name}, {steadyJobs:N0} jobs{heavy1.Spread}", heavy1.Median, tps, null),
                Row($"LongJobs {heavy2.Median.Name}, {steadyJobs:N0} jobs{heavy2.Spread}", heavy2.Median, tps, null),
                Row($"LongJobs {insert.Name}, {insert.Jobs:N0} jobs", insert, tps, null),
                Row($"LongJobs {burnDown.Name}", burnDown, tps, null),
                Row($"Hangfire.PostgreSql {hangfire1.Name}, {hangfireJobs:N0} jobs", hangfire1, tps, null),
                Row($"Hangfire.PostgreSql {hangfire2.Name}, {hangfireJobs:N0} jobs", hangfire2, tps, null),
            ]);
        if (steadyPairs > 1)
        {
            Report.Line($"The steady rows are the median runs (by jobs/s) of {steadyPairs} pairs, one node and two alternated so that a drift in the machine's speed falls on both alike.");
        }

        Report.Line($"Two nodes ÷ one node, pair by pair: {string.Join(", ", steadyRatios.Select(Report.Ratio))} with {LoadShapes.Producers} producers (issue 14's shape: each of two nodes flushes half as many jobs at a time as one node); {string.Join(", ", heavyRatios.Select(Report.Ratio))} with {LoadShapes.HeavyProducers} (each of two nodes carries what one node did with {LoadShapes.Producers}).");

        Report.Line("Commits are pg_stat_database.xact_commit of the database (every transaction, reads and the nodes' background work included), read after the run's sessions ended; writing transactions are the transaction IDs the cluster assigned (only a transaction that writes takes one, and only its commit waits for the WAL flush); WAL bytes are the cluster's WAL insert position. CPU µs a job, over the timed phase only: this process's CPU time (the nodes, hosts in it, and the producers) and the rest of the machine's busy time (/proc/stat: user, system and interrupt time; on this machine the database, and anything else that ran), each divided by the jobs. LongJobs runs with 64 slots a core on each node, and at least four for each of its producers (MaxConcurrency; slots are not threads). Hangfire runs with its default 10 workers per node, EnableLongPolling and QueuePollInterval = 1 s; its start latencies are not timed.");

        Report.Heading($"Completion notice: a job ends on node A → a long-poll GET /api/jobs/{{id}}?wait=30 answered on node B; {noticeJobs} pause jobs of 50–250 ms, 30 at a time (ms from the job's work returning to the client reading the answer)");
        Report.Table(
            ["store", "p50 ms", "p95 ms", "p99 ms", "max ms"],
            [
                LatencyRow("PostgreSQL, two nodes (A runs the job, B answers)", noticePostgres),
                LatencyRow("in-memory, one node", noticeInMemory),
            ]);
        Report.Heading($"Delayed jobs: {delayedJobs:N0} no-op jobs scheduled for times spread over 5 s, all before the first comes due (ms from a job's notBefore to its start; on two nodes, scheduled from each in turn)");
        Report.Table(
            ["store", "p50 ms", "p95 ms", "p99 ms", "max ms"],
            [
                LatencyRow("PostgreSQL, one node", delayed1),
                LatencyRow("PostgreSQL, two nodes", delayed2),
                LatencyRow("in-memory, one node", delayedInMemory),
            ]);
        Report.Line($"Load average at the end of the PostgreSQL part: {LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// The steady stream on one node and on two, <paramref name="pairs"/> times, the order alternated from pair to pair:
    /// on a shared machine one run's speed can differ from the next by a third, so a single pair compares the machine's
    /// moments more than the node counts.
    /// </summary>
    /// <returns>Each node count's median run and spread, and two nodes' jobs/s over one node's, pair by pair.</returns>
    private static async Task<(SteadyRuns One, SteadyRuns Two, double[] Ratios)> SteadyPairsAsync(int jobs, int pairs, string connectionString, int producers)
    {
        var one = new List<ShapeResult>();
        var two = new List<ShapeResult>();
        for (var pair = 0; pair < pairs; pair++)
        {
            foreach (var nodes in pair % 2 == 0 ? new[] { 1, 2 } : [2, 1])
            {
                (nodes == 1 ? one : two).Add(await LoadShapes.SteadyAsync(jobs, nodes, connectionString, producers: producers));
            }
        }

        return (new SteadyRuns(one), new SteadyRuns(two), [.. one.Zip(two, (a, b) => b.JobsPerSecond / a.JobsPerSecond)]);
    }

    /// <summary>Runs of one shape: the median by jobs/s, and the range when there is more than one.</summary>
    private sealed class SteadyRuns(List<ShapeResult> runs)
    {
        public ShapeResult Median { get; } = runs.OrderBy(run => run.JobsPerSecond).ElementAt(runs.Count / 2);

        public string Spread => runs.Count == 1 ? "" : $" (median of {runs.Count} runs: {Report.N(runs.Min(run => run.JobsPerSecond))}–{Report.N(runs.Max(run => run.JobsPerSecond))} jobs/s)";
    }

    private static IReadOnlyList<string> Row(string name, ShapeResult result, double? tps, ShapeResult? hangfire) =>
    [
        name,
        Report.N(result.JobsPerSecond),
        result.CommitsPerJob is { } commits ? Report.N(commits, 3) : "—",
        result.WritingTransactionsPerJob is { } writing ? Report.N(writing, 3) : "—",
        result.WalBytesPerJob is { } wal ? Report.N(wal) : "—",
        result.ProcessCpuPerJob is { } process ? $"{Report.N(process)} / {(result.RestCpuPerJob is { } rest ? Report.N(rest) : "—")}" : "",
        result.StartLatenciesMs.Count > 0 ? Report.N(Report.Percentile(result.StartLatenciesMs, 50), 1) : "",
        result.StartLatenciesMs.Count > 0 ? Report.N(Report.Percentile(result.StartLatenciesMs, 99), 1) : "",
        tps is { } limit ? Report.Ratio(result.JobsPerSecond / limit) : "",
        hangfire is null ? "" : Report.Ratio(result.JobsPerSecond / hangfire.JobsPerSecond),
    ];

    private static IReadOnlyList<string> LatencyRow(string name, double[] values) =>
        [name, Report.N(Report.Percentile(values, 50), 1), Report.N(Report.Percentile(values, 95), 1), Report.N(Report.Percentile(values, 99), 1), Report.N(values.Max(), 1)];

    /// <summary>
    /// Hangfire.PostgreSql on the steady shape as far as Hangfire allows: <see cref="LoadShapes.Producers"/> producers on
    /// their own threads (Hangfire's client is synchronous) each enqueue one job at a time, split across the nodes, timed
    /// until the database holds N succeeded jobs.
    /// </summary>
    private static async Task<ShapeResult> RunHangfireAsync(string connectionString, int jobs, int nodes)
    {
        var schema = LoadShapes.NewSchema();
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = schema,
            PrepareSchemaIfNecessary = true,
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(1),
        };
        var tagged = DatabaseCounters.Tag(connectionString);
        var storages = Enumerable.Range(0, nodes).Select(_ => new PostgreSqlStorage(new NpgsqlConnectionFactory(tagged, options), options)).ToList();
        var servers = new List<BackgroundJobServer>();
        try
        {
            // The schema is created by the first storage; start the servers one after another.
            for (var node = 0; node < nodes; node++)
            {
                servers.Add(new BackgroundJobServer(new BackgroundJobServerOptions { ServerName = $"bench-{node}" }, storages[node]));
            }

            var atStart = await DatabaseCounters.ReadAsync(connectionString);
            CompletionCounter.Expect(jobs);
            var clockStart = Stopwatch.GetTimestamp();
            var clock = Stopwatch.StartNew();
            var next = -1;
            var producers = Enumerable.Range(0, LoadShapes.Producers).Select(producer => Task.Factory.StartNew(
                () =>
                {
                    var client = new BackgroundJobClient(storages[producer % nodes]);
                    int index;
                    while ((index = Interlocked.Increment(ref next)) < jobs)
                    {
                        var value = index;
                        client.Enqueue(() => CompletionCounter.NoOp(value));
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default));
            await Task.WhenAll(producers);
            var name = $"steady stream, {LoadShapes.Producers} producers, {nodes} node{(nodes == 1 ? "" : "s")}";
            var unrun = await CompletionCounter.WaitAsync(HangfireStall, Timeout);
            if (unrun == jobs)
            {
                throw new TimeoutException($"Hangfire.PostgreSql, {nodes} node(s): no job ran within {Timeout}.");
            }

            if (unrun > 0)
            {
                // Hangfire fetched a job and left it unrun (seen once: fetched, never run, still 'Enqueued' minutes later,
                // to be fetched again after its 30-minute invisibility timeout). The row says so, timed to the last job run.
                var elapsed = Stopwatch.GetElapsedTime(clockStart, CompletionCounter.LastCompletion);
                StopServers(servers);
                var partial = (await DatabaseCounters.SettledAsync(connectionString)).Since(atStart);
                return new ShapeResult($"{name} ({unrun:N0} fetched and not run within {HangfireStall.TotalSeconds:F0} s)", jobs - unrun, elapsed, partial, []);
            }

            var failure = await WaitForSucceededAsync(connectionString, $"SELECT count(*) FILTER (WHERE statename = 'Succeeded'), count(*) FILTER (WHERE statename IN ('Failed', 'Deleted')) FROM {schema}.job", jobs);
            clock.Stop();
            if (failure.Length > 0)
            {
                throw new InvalidOperationException($"Hangfire.PostgreSql, {nodes} node(s): {failure}");
            }

            StopServers(servers);
            var cost = (await DatabaseCounters.SettledAsync(connectionString)).Since(atStart);
            return new ShapeResult(name, jobs, clock.Elapsed, cost, []);
        }
        finally
        {
            StopServers(servers);
            await LoadShapes.DropSchemaAsync(connectionString, schema);
        }
    }

    private static void StopServers(List<BackgroundJobServer> servers)
    {
        foreach (var server in servers)
        {
            server.SendStop();
        }

        foreach (var server in servers)
        {
            server.Dispose();
        }

        servers.Clear();
    }

    /// <summary>Waits until the database holds <paramref name="jobs"/> succeeded jobs; the failure, or an empty string.</summary>
    private static async Task<string> WaitForSucceededAsync(string connectionString, string countSql, int jobs)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            await using var command = new NpgsqlCommand(countSql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (succeeded, failed) = (reader.GetInt64(0), reader.GetInt64(1));
            if (failed > 0)
            {
                return $"{failed} jobs failed";
            }

            if (succeeded >= jobs)
            {
                return string.Empty;
            }

            await Task.Delay(5);
        }

        return $"not all {jobs} jobs succeeded within {Timeout}";
    }

    private static async Task<string> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString() ?? "?";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
