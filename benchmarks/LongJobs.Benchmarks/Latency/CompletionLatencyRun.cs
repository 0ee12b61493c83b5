using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Client;
using LongJobs.Server.Jobs;

namespace LongJobs.Benchmarks.Latency;

/// <summary>
/// Completion-notice latency over loopback HTTP: from the moment a job's work returns (stamped inside the job) to the
/// moment a client has read the final state. Every job is awaited at once by three clients: the .NET client's
/// <see cref="JobOperation{TResult}.WaitForCompletionAsync(CancellationToken)"/> (long-poll), a plain client polling every second (the
/// classic approach), and a reader of the job's event stream (<c>GET /api/jobs/{id}/events</c>, what a browser's
/// <c>EventSource</c> reads). Server and clients share this process, so both stamps come from one clock.
/// </summary>
internal static class CompletionLatencyRun
{
    public static async Task<int> RunAsync(bool quick)
    {
        // The quick mode runs the same load shape, fewer of it: as many jobs at once, so it meets the same limits.
        const int InFlight = 30;
        var jobs = quick ? InFlight : 300;
        var longJobSeconds = quick ? 2 : 10;

        // Every client here is one caller (one loopback address): the per-caller limits (10 event streams by default)
        // are raised to the load, as a server behind which many users share one address would raise them.
        var (app, address) = await LoopbackServer.StartLongJobsAsync(
            options =>
            {
                options.MaxConcurrency = InFlight + 2;
                options.MaxEventStreamsPerCaller = InFlight + 2;
                options.MaxLongPollsPerCaller = 2 * (InFlight + 2);
            },
            kinds => kinds.AddJob<PauseJob, PauseRequest, PauseResult>("pause"));
        await using var _ = app;

        var longPoll = new RequestCounter();
        var polling = new RequestCounter();
        var stream = new RequestCounter();
        using var services = new ServiceCollection()
            .AddLongJobsClient(options => options.BaseAddress = address)
            .AddHttpMessageHandler(() => longPoll.Handler())
            .Services.BuildServiceProvider();
        var client = services.GetRequiredService<LongJobsClient>();
        using var plain = new HttpClient { BaseAddress = address };
        using var pollingClient = new HttpClient(polling.Handler(new SocketsHttpHandler())) { BaseAddress = address };
        using var streamClient = new HttpClient(stream.Handler(new SocketsHttpHandler())) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };

        var samples = new Dictionary<string, ConcurrentBag<double>>
        {
            ["long-poll"] = [], ["polling 1 s"] = [], ["event stream"] = [],
        };

        async Task AwaitJobAsync(int milliseconds)
        {
            var id = await StartAsync(plain, milliseconds);
            await Task.WhenAll(
                Measure(id, "long-poll", () => client.GetOperation<PauseResult>(id).WaitForCompletionAsync()),
                Measure(id, "polling 1 s", () => PollEverySecondAsync(pollingClient, id)),
                Measure(id, "event stream", () => ReadEventStreamAsync(streamClient, id)));
        }

        async Task Measure(Guid id, string method, Func<Task> wait)
        {
            await wait();
            var learned = Stopwatch.GetTimestamp();
            samples[method].Add(Stopwatch.GetElapsedTime(PauseJob.WorkReturned[id], learned).TotalMilliseconds);
        }

        // Warm-up: connections, JIT.
        await AwaitJobAsync(10);
        foreach (var bag in samples.Values)
        {
            bag.Clear();
        }

        longPoll.Reset();
        polling.Reset();
        stream.Reset();

        var random = new Random(5);
        var durations = Enumerable.Range(0, jobs).Select(_ => random.Next(50, 2050)).ToArray();
        await Parallel.ForEachAsync(durations, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (milliseconds, _) => await AwaitJobAsync(milliseconds));
        var measured = samples.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
        var perJob = (LongPoll: longPoll.Total / (double)jobs, Polling: polling.Total / (double)jobs, Stream: stream.Total / (double)jobs);

        // One job of longJobSeconds, awaited by each client: the requests each needs.
        longPoll.Reset();
        polling.Reset();
        stream.Reset();
        await AwaitJobAsync(longJobSeconds * 1000);
        var forLongJob = (longPoll.Total, polling.Total, stream.Total);

        Report.Heading($"Completion-notice latency over loopback HTTP: {jobs} jobs of 0.05–2.05 s (so a 1-s poll lands anywhere in its interval), {InFlight} at a time, each awaited by all three clients (ms from the job's work returning to the client reading its final state)");
        Report.Table(
            ["client", "p50 ms", "p95 ms", "p99 ms", "max ms", "requests per job", $"requests to await a {longJobSeconds}-s job"],
            [
                Row("generated .NET client (JobOperation, long-poll)", measured["long-poll"], perJob.LongPoll, forLongJob.Item1),
                Row("plain client polling every 1 s (classic)", measured["polling 1 s"], perJob.Polling, forLongJob.Item2),
                Row("event stream GET /api/jobs/{id}/events (as EventSource)", measured["event stream"], perJob.Stream, forLongJob.Item3),
            ]);
        Report.Line("Requests counted are those made while awaiting, after the start request (POST), which every client needs once.");
        return measured.Values.All(values => values.Length == jobs) ? 0 : 1;
    }

    private static IReadOnlyList<string> Row(string name, double[] values, double requestsPerJob, int requestsForLongJob)
    {
        return [name, Report.N(Report.Percentile(values, 50), 1), Report.N(Report.Percentile(values, 95), 1), Report.N(Report.Percentile(values, 99), 1), Report.N(values.Max(), 1), Report.N(requestsPerJob, 2), requestsForLongJob.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }

    private static async Task<Guid> StartAsync(HttpClient http, int milliseconds)
    {
        using var response = await http.PostAsJsonAsync("api/jobs/pause", new PauseRequest(milliseconds));
        response.EnsureSuccessStatusCode();
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        return accepted.GetProperty("id").GetGuid();
    }

    /// <summary>The classic client: wait a second, read the status, until it has finished.</summary>
    private static async Task PollEverySecondAsync(HttpClient http, Guid id)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var state = await http.GetFromJsonAsync<JsonElement>($"api/jobs/{id}");
            if (state.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Canceled")
            {
                return;
            }
        }
    }

    /// <summary>Reads the job's event stream until its <c>finished</c> event's data.</summary>
    private static async Task ReadEventStreamAsync(HttpClient http, Guid id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{id}/events");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var finished = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line == "event: finished")
            {
                finished = true;
            }
            else if (finished && line.StartsWith("data:", StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException($"The event stream of job {id} ended without a finished event.");
    }
}

/// <summary>Counts the HTTP requests a client sends, through its <see cref="Handler"/>.</summary>
internal sealed class RequestCounter
{
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public void Reset() => Volatile.Write(ref _total, 0);

    /// <summary>A handler that counts into this counter; <paramref name="inner"/> for a plain <see cref="HttpClient"/>.</summary>
    public DelegatingHandler Handler(HttpMessageHandler? inner = null) => inner is null ? new Counting(this) : new Counting(this) { InnerHandler = inner };

    private sealed class Counting(RequestCounter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref counter._total);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
