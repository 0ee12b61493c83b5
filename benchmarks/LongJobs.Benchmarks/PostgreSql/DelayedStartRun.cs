using System.Collections.Concurrent;
using LongJobs.Server.Execution;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// How late jobs started for later begin: no-op jobs scheduled for times spread over a few seconds (from one node, or
/// from two in turn, both running jobs), each measured from its <see cref="JobRecord.NotBefore"/> to its
/// <see cref="JobRecord.StartedAt"/>. Both are stamped by the nodes' clock, in this process.
/// </summary>
internal static class DelayedStartRun
{
    /// <summary>How far ahead the first job is scheduled: every job is scheduled before any comes due.</summary>
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(3);

    /// <summary>Over how long the due times are spread.</summary>
    private static readonly TimeSpan Spread = TimeSpan.FromSeconds(5);

    /// <summary>Schedules <paramref name="jobs"/> jobs on <paramref name="nodes"/> nodes; returns each one's lateness in ms.</summary>
    /// <param name="jobs">The jobs measured.</param>
    /// <param name="nodes">The nodes sharing the store (PostgreSQL only when more than one).</param>
    /// <param name="postgres">The connection string, or <see langword="null"/> for the in-memory store.</param>
    public static async Task<double[]> MeasureAsync(int jobs, int nodes, string? postgres)
    {
        var schema = LoadShapes.NewSchema();
        var hosts = Enumerable.Range(0, nodes).Select(_ => LoadShapes.BuildHost(postgres, schema)).ToList();
        try
        {
            var lateness = new ConcurrentQueue<double>();
            var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var host in hosts)
            {
                host.Services.GetRequiredService<IJobStore>().JobFinished += job =>
                {
                    if (job is { NotBefore: { } notBefore, StartedAt: { } startedAt })
                    {
                        lateness.Enqueue((startedAt - notBefore).TotalMilliseconds);
                        if (lateness.Count >= jobs)
                        {
                            allStarted.TrySetResult();
                        }
                    }
                };
                await host.StartAsync(); // one after another: the first migrates the schema
            }

            var schedulers = hosts.Select(host => host.Services.GetRequiredService<IJobScheduler>()).ToList();
            var first = DateTimeOffset.UtcNow + Lead;
            await Parallel.ForEachAsync(Enumerable.Range(0, jobs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
                await schedulers[i % nodes].ScheduleKindAsync("no-op", new NoOpRequest(i), first + (Spread * i / jobs), token));
            await allStarted.Task.WaitAsync(TimeSpan.FromMinutes(2));
            return [.. lateness];
        }
        finally
        {
            await LoadShapes.StopAsync(hosts);
            await LoadShapes.DropSchemaAsync(postgres, schema);
        }
    }
}
