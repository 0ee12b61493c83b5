using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// How late jobs started for later begin: no-op jobs scheduled for times spread over a few seconds (from one node, or
/// from two in turn, both running jobs), each measured from its <see cref="JobSnapshot.NotBefore"/> to its
/// <see cref="JobSnapshot.StartedAt"/>, as its handle's final state has them. Both are stamped by the nodes' clock, in this process. A warm-up round on every node
/// comes first (connections, prepared statements, JIT), and the first measured job is due only after every job was
/// scheduled, so neither start-up nor the inserts are measured.
/// </summary>
internal static class DelayedStartRun
{
    /// <summary>The jobs of the warm-up round, per node.</summary>
    private const int WarmUpJobs = 20;

    /// <summary>How far ahead the first job is scheduled at least, and per job scheduled (so that all are in before any comes due).</summary>
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(2), LeadPerJob = TimeSpan.FromMilliseconds(5);

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
            foreach (var host in hosts)
            {
                await host.StartAsync(); // one after another: the first migrates the schema
            }

            var schedulers = hosts.Select(host => host.Services.GetRequiredService<IJobScheduler>()).ToList();
            var warmUp = await Task.WhenAll(schedulers.SelectMany(scheduler => Enumerable.Range(0, WarmUpJobs).Select(i =>
                scheduler.ScheduleKindAsync("no-op", new NoOpRequest(i), TimeSpan.FromMilliseconds(200 + (10 * i))))));
            await Task.WhenAll(warmUp.Select(job => job.Task)).WaitAsync(TimeSpan.FromMinutes(1));

            var first = DateTimeOffset.UtcNow + Lead + (LeadPerJob * jobs);
            var started = await Task.WhenAll(Enumerable.Range(0, jobs).Chunk(jobs / 8 + 1).Select(chunk => Task.Run(async () =>
            {
                var handles = new List<LongRunningJob>();
                foreach (var i in chunk)
                {
                    handles.Add(await schedulers[i % nodes].ScheduleKindAsync("no-op", new NoOpRequest(i), first + (Spread * i / jobs)));
                }

                return handles;
            })));
            if (DateTimeOffset.UtcNow > first)
            {
                throw new InvalidOperationException("Scheduling the jobs took longer than the lead before the first was due: the run would measure the inserts.");
            }

            var handles = started.SelectMany(chunk => chunk).ToList();
            await Task.WhenAll(handles.Select(job => job.Task)).WaitAsync(TimeSpan.FromMinutes(2));
            return [.. handles.Select(job => job.State is { NotBefore: { } notBefore, StartedAt: { } startedAt }
                ? (startedAt - notBefore).TotalMilliseconds
                : throw new InvalidOperationException($"Job {job.Id} ended without its times: {job.State.Status}."))];
        }
        finally
        {
            await LoadShapes.StopAsync(hosts);
            await LoadShapes.DropSchemaAsync(postgres, schema);
        }
    }
}
