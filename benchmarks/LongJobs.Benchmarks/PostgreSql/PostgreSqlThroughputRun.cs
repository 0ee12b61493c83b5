using System.Diagnostics;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using LongJobs.Server.Execution;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// Enqueue→complete throughput on one PostgreSQL server: N no-op jobs enqueued by two producers, until the database
/// holds N succeeded jobs; LongJobs and Hangfire with Hangfire.PostgreSql, with one node and with two nodes on one
/// database (nodes are hosts in this process, each with its own connection pool; with two nodes each producer
/// enqueues through its own node). Each run has its own fresh schema; rounds alternate the peers.
/// </summary>
internal static class PostgreSqlThroughputRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string connectionString, bool quick)
    {
        var jobs = quick ? 200 : 2_000;
        var rounds = quick ? 1 : 3;
        await using var database = NpgsqlDataSource.Create(connectionString);

        (string Name, Func<string, int, int, Task<(string Failure, TimeSpan Elapsed)>> Run, int Nodes)[] peers =
        [
            ("LongJobs, 1 node", (schema, n, nodes) => RunLongJobsAsync(connectionString, database, schema, n, nodes), 1),
            ("Hangfire.PostgreSql, 1 node", (schema, n, nodes) => RunHangfireAsync(connectionString, database, schema, n, nodes), 1),
            ("LongJobs, 2 nodes", (schema, n, nodes) => RunLongJobsAsync(connectionString, database, schema, n, nodes), 2),
            ("Hangfire.PostgreSql, 2 nodes", (schema, n, nodes) => RunHangfireAsync(connectionString, database, schema, n, nodes), 2),
        ];
        var results = peers.ToDictionary(peer => peer.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var peer in peers)
            {
                var schema = $"bench_{Guid.NewGuid():N}"[..20];
                var (failure, elapsed) = await peer.Run(schema, jobs, peer.Nodes);
                await using (var drop = database.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                {
                    await drop.ExecuteNonQueryAsync();
                }

                if (failure.Length > 0)
                {
                    Console.Error.WriteLine($"PostgreSQL throughput, {peer.Name}: {failure}");
                    return 1;
                }

                results[peer.Name].Add(jobs / elapsed.TotalSeconds);
            }
        }

        var version = await QueryAsync(database, "SHOW server_version");
        Report.Heading($"PostgreSQL {version} on this machine: {jobs:N0} no-op jobs enqueued by two producers, until all have succeeded in the database; {rounds} round(s) alternating peers, medians");
        var baseline = Report.Median(results["LongJobs, 1 node"]);
        Report.Table(
            ["", "jobs/s (median)", "rounds", "÷ LongJobs 1 node"],
            peers.Select(peer => (IReadOnlyList<string>)
            [
                peer.Name,
                Report.N(Report.Median(results[peer.Name])),
                string.Join(" / ", results[peer.Name].Select(value => Report.N(value))),
                Report.Ratio(Report.Median(results[peer.Name]) / baseline),
            ]));
        Report.Line("Both with their default concurrency per node (10 workers on 2 cores) and a poll interval of 1 s besides their LISTEN/NOTIFY wake-ups (Hangfire: EnableLongPolling, QueuePollInterval = 1 s).");
        return 0;
    }

    /// <summary>Times from the first enqueue until N jobs have succeeded (nodes started before); the failure (or an empty string) and the time.</summary>
    private static async Task<(string Failure, TimeSpan Elapsed)> RunLongJobsAsync(string connectionString, NpgsqlDataSource database, string schema, int jobs, int nodes)
    {
        var hosts = new List<IHost>();
        try
        {
            for (var node = 0; node < nodes; node++)
            {
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.ClearProviders();
                var name = $"bench-{node}";
                builder.Services
                    .AddLongJobs(options => options.MaxQueuedJobs = jobs + 1_000)
                    .AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op")
                    .UsePostgreSql(connectionString, options =>
                    {
                        options.Schema = schema;
                        options.NodeName = name;
                    });
                var host = builder.Build();
                hosts.Add(host);
                await host.StartAsync();
            }

            var clock = Stopwatch.StartNew();
            var producers = Enumerable.Range(0, 2).Select(producer => Task.Run(async () =>
            {
                var scheduler = hosts[producer % nodes].Services.GetRequiredService<IJobScheduler>();
                for (var i = producer; i < jobs; i += 2)
                {
                    await scheduler.StartKindAsync("no-op", new NoOpRequest(i));
                }
            }));
            await Task.WhenAll(producers);
            return (await WaitForSucceededAsync(database, $"SELECT count(*) FILTER (WHERE status = 'Succeeded'), count(*) FILTER (WHERE status IN ('Failed', 'Canceled')) FROM {schema}.jobs", jobs), clock.Elapsed);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }

    private static async Task<(string Failure, TimeSpan Elapsed)> RunHangfireAsync(string connectionString, NpgsqlDataSource database, string schema, int jobs, int nodes)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = schema,
            PrepareSchemaIfNecessary = true,
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(1),
        };
        var storages = Enumerable.Range(0, nodes).Select(_ => new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options)).ToList();
        var servers = new List<BackgroundJobServer>();
        try
        {
            // The schema is created by the first storage; start the servers one after another.
            for (var node = 0; node < nodes; node++)
            {
                servers.Add(new BackgroundJobServer(new BackgroundJobServerOptions { ServerName = $"bench-{node}" }, storages[node]));
            }

            CompletionCounter.Expect(jobs);
            var clock = Stopwatch.StartNew();
            var producers = Enumerable.Range(0, 2).Select(producer => Task.Run(() =>
            {
                var client = new BackgroundJobClient(storages[producer % nodes]);
                for (var i = producer; i < jobs; i += 2)
                {
                    var value = i;
                    client.Enqueue(() => CompletionCounter.NoOp(value));
                }
            }));
            await Task.WhenAll(producers);
            return (await WaitForSucceededAsync(database, $"SELECT count(*) FILTER (WHERE statename = 'Succeeded'), count(*) FILTER (WHERE statename IN ('Failed', 'Deleted')) FROM {schema}.job", jobs), clock.Elapsed);
        }
        finally
        {
            foreach (var server in servers)
            {
                server.SendStop();
            }

            foreach (var server in servers)
            {
                server.Dispose();
            }
        }
    }

    private static async Task<string> WaitForSucceededAsync(NpgsqlDataSource database, string countSql, int jobs)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            await using var command = database.CreateCommand(countSql);
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

            await Task.Delay(20);
        }

        return $"not all {jobs} jobs succeeded within {Timeout}";
    }

    private static async Task<string> QueryAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return (await command.ExecuteScalarAsync())?.ToString() ?? "?";
    }
}
