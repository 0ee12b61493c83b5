using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LongJobs.Benchmarks.Http;

/// <summary>
/// HTTP API throughput with wrk on loopback, fixed duration and connections: <c>GET /api/jobs/{id}</c> of a finished
/// job and <c>POST /api/jobs/no-op</c> on a LongJobs app, each against a bare Kestrel minimal-API endpoint answering
/// a constant JSON body of the same size (the limit), in rounds that alternate targets; medians of the rounds.
/// </summary>
internal static partial class ApiThroughputRun
{
    public static async Task<int> RunAsync(bool quick)
    {
        // The quick mode keeps the full run's connections (the same server limits are met), for less time.
        const int Threads = 2, Connections = 32;
        var (seconds, rounds) = quick ? (1, 1) : (10, 3);

        var (longJobs, longJobsAddress) = await LoopbackServer.StartLongJobsAsync(
            options => options.MaxQueuedJobs = 100_000,
            kinds => kinds.AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op"));
        await using var _ = longJobs;

        // A finished job to read, and the bodies LongJobs answers, so the bare endpoint answers as many bytes. Each
        // GET run reads a job finished just before it: retention keeps the newest 10,000 finished jobs, and the
        // POST runs finish far more than that.
        using var http = new HttpClient { BaseAddress = longJobsAddress };
        var (id, acceptedBody) = await StartFinishedJobAsync(http);
        var stateBody = await http.GetByteArrayAsync($"api/jobs/{id}");
        var bareState = Padded(stateBody.Length);
        var bareAccepted = Padded(acceptedBody.Length);
        var (bare, bareAddress) = await LoopbackServer.StartAsync(
            _ => { },
            app =>
            {
                app.MapGet("/bare/{id}", context => WriteAsync(context, StatusCodes.Status200OK, bareState));
                app.MapPost("/bare", context =>
                {
                    context.Response.Headers.Location = $"/api/jobs/{id}";
                    return WriteAsync(context, StatusCodes.Status202Accepted, bareAccepted);
                });
            });
        await using var __ = bare;

        var script = Path.Combine(Path.GetTempPath(), $"longjobs-wrk-post-{Environment.ProcessId}.lua");
        await File.WriteAllTextAsync(script, $"wrk.method = \"POST\"\nwrk.body = '{StartBody}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
        try
        {
            (string Name, Uri Url, bool Post)[] targets =
            [
                ("bare GET (limit)", new Uri(bareAddress, $"bare/{id}"), false),
                ("LongJobs GET /api/jobs/{id}", new Uri(longJobsAddress, $"api/jobs/{id}"), false),
                ("bare POST (limit)", new Uri(bareAddress, "bare"), true),
                ("LongJobs POST /api/jobs/no-op", new Uri(longJobsAddress, "api/jobs/no-op"), true),
            ];
            // Warm-up, not counted: JIT, connection pools, the jobs' first retained records.
            foreach (var target in targets)
            {
                if (await RunWrkAsync(target.Url, target.Post ? script : null, Threads, Connections, 1) is null)
                {
                    return 1;
                }
            }

            var results = targets.ToDictionary(target => target.Name, _ => new List<WrkResult>());
            for (var round = 0; round < rounds; round++)
            {
                foreach (var target in targets)
                {
                    var url = target.Name.StartsWith("LongJobs GET", StringComparison.Ordinal)
                        ? new Uri(longJobsAddress, $"api/jobs/{(await StartFinishedJobAsync(http)).Id}")
                        : target.Url;
                    var result = await RunWrkAsync(url, target.Post ? script : null, Threads, Connections, seconds);
                    if (result is null)
                    {
                        return 1;
                    }

                    results[target.Name].Add(result);
                }
            }

            Report.Heading($"HTTP API throughput: wrk -t{Threads} -c{Connections} -d{seconds}s on loopback, {rounds} round(s) alternating targets, medians (GET body {stateBody.Length} bytes, 202 body {acceptedBody.Length} bytes, the same for the bare endpoint)");
            double Median(string name) => Report.Median(results[name].Select(result => result.RequestsPerSecond));
            Report.Table(
                ["target", "requests/s (median)", "rounds", "p50 latency ms", "p99 latency ms", "non-2xx", "÷ bare"],
                targets.Select(target =>
                {
                    var all = results[target.Name];
                    var limit = target.Post ? "bare POST (limit)" : "bare GET (limit)";
                    return (IReadOnlyList<string>)
                    [
                        target.Name,
                        Report.N(Median(target.Name)),
                        string.Join(" / ", all.Select(result => Report.N(result.RequestsPerSecond))),
                        Report.N(Report.Median(all.Select(result => result.P50Milliseconds)), 2),
                        Report.N(Report.Median(all.Select(result => result.P99Milliseconds)), 2),
                        all.Sum(result => result.Non2xx).ToString(CultureInfo.InvariantCulture),
                        Report.Ratio(Median(target.Name) / Median(limit)),
                    ];
                }));
            Report.Line("wrk, the server and the no-op jobs share the machine's cores.");
            return results.Values.SelectMany(all => all).Any(result => result.Non2xx > 0 || result.RequestsPerSecond <= 0) ? 1 : 0;
        }
        finally
        {
            File.Delete(script);
        }
    }

    private const string StartBody = """{"value":1}""";

    /// <summary>Starts a no-op job and waits until it has succeeded; its ID and the 202 body.</summary>
    private static async Task<(Guid Id, byte[] AcceptedBody)> StartFinishedJobAsync(HttpClient http)
    {
        using var started = await http.PostAsync("api/jobs/no-op", new StringContent(StartBody, Encoding.UTF8, "application/json"));
        started.EnsureSuccessStatusCode();
        var acceptedBody = await started.Content.ReadAsByteArrayAsync();
        var id = JsonDocument.Parse(acceptedBody).RootElement.GetProperty("id").GetGuid();
        var finished = await http.GetFromJsonAsync<JsonElement>($"api/jobs/{id}?wait=10");
        return finished.GetProperty("status").GetString() == "Succeeded"
            ? (id, acceptedBody)
            : throw new InvalidOperationException($"HTTP throughput: the job to read did not succeed: {finished}");
    }

    private static Task WriteAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>A JSON object of exactly <paramref name="length"/> bytes.</summary>
    private static byte[] Padded(int length)
    {
        const string start = """{"padding":""";
        var body = start + "\"" + new string('x', Math.Max(0, length - start.Length - 3)) + "\"}";
        return Encoding.UTF8.GetBytes(body);
    }

    private static async Task<WrkResult?> RunWrkAsync(Uri url, string? script, int threads, int connections, int seconds)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-t", $"{threads}", "-c", $"{connections}", "-d", $"{seconds}s", "--latency" })
        {
            start.ArgumentList.Add(argument);
        }

        if (script is not null)
        {
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(script);
        }

        start.ArgumentList.Add(url.AbsoluteUri);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("HTTP throughput needs wrk: install it with 'apt-get install -y wrk' (benchmarks/run.sh does as root).");
            return null;
        }

        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var requests = RequestsPerSecond().Match(output);
            if (process.ExitCode != 0 || !requests.Success)
            {
                Console.Error.WriteLine($"wrk failed on {url} (exit {process.ExitCode}):\n{output}{errors}");
                return null;
            }

            var non2xx = Non2xx().Match(output);
            var socketErrors = SocketErrors().Match(output);
            if (socketErrors.Success)
            {
                Console.Error.WriteLine($"wrk on {url}: {socketErrors.Value}");
            }

            return new WrkResult(
                double.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
                LatencyPercentile(output, "50"),
                LatencyPercentile(output, "99"),
                non2xx.Success ? int.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        }
    }

    /// <summary>A line of wrk's latency distribution, such as <c>99%  1.23ms</c>, in milliseconds.</summary>
    private static double LatencyPercentile(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors:.*")]
    private static partial Regex SocketErrors();

    private sealed record WrkResult(double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, int Non2xx);
}
