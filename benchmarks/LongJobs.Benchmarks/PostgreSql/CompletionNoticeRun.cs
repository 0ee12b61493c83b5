using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Benchmarks.Latency;
using LongJobs.Server.Execution;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// Completion notice across nodes: node A runs pause jobs of 50–250 ms, 30 at a time; for each, a client long-polls
/// <c>GET /api/jobs/{id}?wait=30</c> on node B, a second app on the same database that runs no jobs. The time is from the
/// job's work returning on A (stamped inside the job) to the client having read B's answer: A's write of the outcome, the
/// notification, B's read and the HTTP answer. On the in-memory store A and B are one app. Both apps and the client
/// share this process, so both stamps come from one clock.
/// </summary>
internal static class CompletionNoticeRun
{
    private const int InFlight = 30;

    /// <summary>Measures <paramref name="jobs"/> jobs; returns each one's latency in ms.</summary>
    /// <param name="jobs">The jobs measured, after one of warm-up.</param>
    /// <param name="postgres">The connection string, or <see langword="null"/> for the in-memory store on one node.</param>
    public static async Task<double[]> MeasureAsync(int jobs, string? postgres)
    {
        var schema = LoadShapes.NewSchema();
        try
        {
            var (runner, address) = await StartNodeAsync(postgres, schema, runsJobs: true);
            await using var runnerApp = runner;
            WebApplication? waiter = null;
            if (postgres is not null)
            {
                (waiter, address) = await StartNodeAsync(postgres, schema, runsJobs: false);
            }

            await using var waiterApp = waiter;
            var scheduler = runner.Services.GetRequiredService<IJobScheduler>();
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

            async Task<double> AwaitJobAsync(int milliseconds)
            {
                var job = await scheduler.StartKindAsync("pause", new PauseRequest(milliseconds));
                var state = await client.GetFromJsonAsync<JsonElement>($"api/jobs/{job.Id}?wait=30");
                var learned = Stopwatch.GetTimestamp();
                var status = state.GetProperty("status").GetString();
                return status == "Succeeded"
                    ? Stopwatch.GetElapsedTime(PauseJob.WorkReturned[job.Id], learned).TotalMilliseconds
                    : throw new InvalidOperationException($"Job {job.Id}: the long-poll answered {status}, not Succeeded.");
            }

            await AwaitJobAsync(10); // warm-up: connections, JIT
            var random = new Random(5);
            var durations = Enumerable.Range(0, jobs).Select(_ => random.Next(50, 250)).ToArray();
            var latencies = new double[jobs];
            await Parallel.ForEachAsync(Enumerable.Range(0, jobs), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (i, _) => latencies[i] = await AwaitJobAsync(durations[i]));
            return latencies;
        }
        finally
        {
            await LoadShapes.DropSchemaAsync(postgres, schema);
        }
    }

    private static Task<(WebApplication App, Uri Address)> StartNodeAsync(string? postgres, string schema, bool runsJobs) =>
        LoopbackServer.StartLongJobsAsync(
            options =>
            {
                options.MaxConcurrency = InFlight + 2;
                options.MaxLongPollsPerCaller = 2 * (InFlight + 2);
            },
            kinds =>
            {
                if (runsJobs)
                {
                    kinds.AddJob<PauseJob, PauseRequest, PauseResult>("pause");
                }

                if (postgres is not null)
                {
                    kinds.UsePostgreSql(DatabaseCounters.Tag(postgres), store => store.Schema = schema);
                }
            });
}
