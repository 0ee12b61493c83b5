using System.Collections.Concurrent;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using ClientJobStatus = LongJobs.Client.Models.JobStatus;

namespace LongJobs.Client.Tests.Waiting;

/// <summary>
/// Awaiting a job while following its progress, against a scripted Kestrel server: the client learns the job's
/// version, then each request waits for the next change (<c>If-None-Match</c>), and every change reaches the
/// <see cref="IProgress{T}"/>; a job that disappears while awaited says which way it may have gone.
/// </summary>
public sealed class ProgressWaitingTests
{
    private static readonly object Primes = new { below = 100, count = 25, largest = 97 };

    private readonly Guid _id = Guid.NewGuid();
    private readonly DelayRecordingTimeProvider _time = new();

    [Fact]
    public async Task WaitWithProgress_ReadsTheVersionThenWaitsForEachChange_AndReportsEveryOne()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) => number switch
        {
            1 => JobStateJson.WriteAsync(context, _id, "Queued", version: 1),
            2 => JobStateJson.WriteAsync(context, _id, "Running", progress: 0.25, version: 2, message: "Sieving"),
            3 => JobStateJson.WriteNotModifiedAsync(context, 2),
            4 => JobStateJson.WriteAsync(context, _id, "Running", progress: 0.75, version: 3, message: "Counting"),
            _ => JobStateJson.WriteAsync(context, _id, "Succeeded", Primes, progress: 1, version: 4),
        });
        var operation = CreateOperation(server);
        var reports = new ConcurrentQueue<JobProgress>();

        var result = await operation.WaitForCompletionAsync(new SynchronousProgress(reports.Enqueue)).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(97, result.Largest);
        Assert.Equal(
            [
                new JobProgress(ClientJobStatus.Queued, 0, null, 0),
                new JobProgress(ClientJobStatus.Running, 0.25, "Sieving", 0),
                new JobProgress(ClientJobStatus.Running, 0.75, "Counting", 0),
                new JobProgress(ClientJobStatus.Succeeded, 1, null, 0),
            ],
            reports);
        Assert.Equal(
            [$"GET /api/jobs/{_id}", $"GET /api/jobs/{_id}?wait=30", $"GET /api/jobs/{_id}?wait=30", $"GET /api/jobs/{_id}?wait=30", $"GET /api/jobs/{_id}?wait=30"],
            server.Requests);
        Assert.Equal([[], ["\"1\""], ["\"2\""], ["\"2\""], ["\"3\""]], server.HeaderValues("If-None-Match"));
        Assert.False(_time.HasUnreadDelay, "The client waited between long-polls.");
    }

    [Fact]
    public async Task WaitWithoutProgress_LongPollsForTheEndOnly_WithoutIfNoneMatch()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", Primes, version: 7));
        var operation = CreateOperation(server);

        await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal([$"GET /api/jobs/{_id}?wait=30"], server.Requests);
        Assert.Equal([[]], server.HeaderValues("If-None-Match"));
    }

    [Fact]
    public async Task WaitWithProgress_WhenTheServerAnswers304WithoutLongPolling_WaitsRetryAfterBeforeAskingAgain()
    {
        // A server whose callers have too many long-polls open answers at once, with Retry-After.
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 2)
            {
                context.Response.Headers.RetryAfter = "3";
                return JobStateJson.WriteNotModifiedAsync(context, 1, longPolled: false);
            }

            return number == 1
                ? JobStateJson.WriteAsync(context, _id, "Running", version: 1)
                : JobStateJson.WriteAsync(context, _id, "Succeeded", Primes, version: 2);
        });
        var operation = CreateOperation(server);

        var waiting = operation.WaitForCompletionAsync(new SynchronousProgress(_ => { }));
        var delay = await _time.AdvancePastNextDelayAsync();
        await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(TimeSpan.FromSeconds(3), delay);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task WaitWithProgress_WhenTheServerSendsNoVersion_PollsWithBackoff()
    {
        // A server without ETags cannot be asked for changes: the client reads the state now and then.
        await using var server = await ScriptedServer.StartAsync((context, number) => number <= 2
            ? JobStateJson.WriteAsync(context, _id, "Running", progress: number / 4.0)
            : JobStateJson.WriteAsync(context, _id, "Succeeded", Primes));
        var operation = CreateOperation(server);

        var waiting = operation.WaitForCompletionAsync(new SynchronousProgress(_ => { }));
        var delays = await _time.AdvancePastDelaysAsync(2);
        await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.All(delays, delay => Assert.True(delay > TimeSpan.Zero));
        Assert.All(server.Requests, request => Assert.Equal($"GET /api/jobs/{_id}", request));
    }

    [Fact]
    public async Task Wait_WhenASeenJobIsGone_SaysWhatWasLastSeenAndTheServersReason()
    {
        const string Detail = "Job was created at 2026-12-02T10:00:00Z, before this server started at 2026-12-02T10:05:00Z; jobs kept in memory are lost when the server restarts.";
        await using var server = await ScriptedServer.StartAsync((context, number) => number == 1
            ? JobStateJson.WriteAsync(context, _id, "Running", version: 1, kind: "primes")
            : JobStateJson.WriteNotFoundAsync(context, _id, "serverRestarted", Detail));
        var operation = CreateOperation(server);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException<Models.ProblemDetails>>(
            () => operation.WaitForCompletionAsync(new SynchronousProgress(_ => { })).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(404, exception.StatusCode);
        Assert.Equal($"Job '{_id}' ('primes', last seen Running) is gone from the server: {Detail}", exception.Message);
        Assert.Equal("serverRestarted", exception.Problem?.Extensions["reason"].GetString());
        Assert.IsType<LongJobsRequestException<Models.ProblemDetails>>(exception.InnerException);
    }

    [Fact]
    public async Task Wait_WhenAJobNeverSeenIsUnknown_ReportsTheServersAnswer()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) =>
            JobStateJson.WriteNotFoundAsync(context, _id, "notFoundOrRemoved", "No job exists with this ID."));
        var operation = CreateOperation(server);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException<Models.ProblemDetails>>(
            () => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(404, exception.StatusCode);
        Assert.Contains("No job exists with this ID.", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("is gone", exception.Message, StringComparison.Ordinal);
    }

    private JobOperation<PrimesResult> CreateOperation(ScriptedServer server)
    {
        var options = new LongJobsClientOptions { TimeProvider = _time };
        return new LongJobsClient(server.CreateResilientClient(options), options).GetOperation<PrimesResult>(_id);
    }

    /// <summary>Reports on the caller's thread, unlike <see cref="Progress{T}"/>, so the reports are in order when the wait ends.</summary>
    private sealed class SynchronousProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
