using System.Threading.Channels;
using LongJobs.Client.Models;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using ClientJobStatus = LongJobs.Client.Models.JobStatus;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>
/// The generated <see cref="SampleJobsClient"/> and the waiting layer against the sample server over HTTP, with
/// the retry pipeline in the chain; each test has a server of its own.
/// </summary>
public sealed class SampleJobsEndToEndTests
{
    [Fact]
    public async Task StartPrimes_ThenWaitForCompletion_ReturnsTheTypedResult()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());

        var started = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100_000 }).WaitAsync(TestTimeouts.Signal);
        var result = await started.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal("primes", started.Kind);
        Assert.Equal("primes", started.State?.Kind);
        Assert.Equal($"/api/jobs/{started.Id}", started.State?.StatusUrl);
        Assert.NotNull(started.State?.ETag);
        Assert.Equal(100_000, result.Below);
        Assert.Equal(9592, result.Count);
        Assert.Equal(99991, result.Largest);
    }

    [Fact]
    public async Task RunPrimes_AQuickJob_ReturnsItsTypedResultInOneRequest()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var jobs = CreateClient(server, new LongJobsClientOptions(), log);

        var result = await jobs.RunPrimesJobAsync(new PrimesRequest { Below = 1000 }).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(168, result.Count);
        Assert.Equal(997, result.Largest);
        Assert.Equal(["POST /api/jobs/primes"], log.Requests);
    }

    [Fact]
    public async Task WaitWithProgress_OnARunningJob_ReportsEveryStepAsItHappens_ThroughConditionalLongPolls()
    {
        await using var server = new SampleServerFactory();
        var stepped = await SteppedJob.StartAsync(server.Services, count: 3);
        // This clock never moves: only long-polls that answer at each change can report the steps.
        var time = new DelayRecordingTimeProvider();
        var log = new RequestLog();
        var client = CreatePlainClient(server, new LongJobsClientOptions { TimeProvider = time }, log);
        var reports = Channel.CreateUnbounded<JobProgress>();

        var waiting = client.GetOperation<StepResult>(stepped.Id).WaitForCompletionAsync(new ChannelProgress(reports.Writer));
        var seen = new List<JobProgress> { await reports.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal) };
        for (var step = 1; step <= 3; step++)
        {
            stepped.Step();
            seen.Add(await reports.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal));
        }

        stepped.Step();
        var result = await waiting.WaitAsync(TestTimeouts.Signal);
        seen.Add(await reports.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(3, result.Steps);
        Assert.Equal([ClientJobStatus.Running, ClientJobStatus.Running, ClientJobStatus.Running, ClientJobStatus.Running, ClientJobStatus.Succeeded], seen.Select(report => report.Status));
        Assert.Equal([0, 33, 67, 100, 100], seen.Select(report => (int)Math.Round(report.Fraction * 100)));
        Assert.Equal([null, "Step 1 of 3", "Step 2 of 3", "Step 3 of 3", "Step 3 of 3"], seen.Select(report => report.Message));
        Assert.Equal($"GET /api/jobs/{stepped.Id}", log.Requests[0]);
        Assert.All(log.Requests.Skip(1), request => Assert.Equal($"GET /api/jobs/{stepped.Id}?wait=30", request));
        Assert.InRange(log.Requests.Count, 5, 6);
        Assert.False(time.HasUnreadDelay, "The client waited between requests instead of long-polling.");
    }

    [Fact]
    public async Task GetSleepJobOperation_ForAPrimesJob_RefusesIt()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());
        var started = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 1000 }).WaitAsync(TestTimeouts.Signal);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => jobs.GetSleepJobOperation(started.Id).UpdateStatusAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal($"Job '{started.Id}' is a 'primes' job, not a 'sleep' job: attach to it as one of its own kind.", exception.Message);
    }

    [Fact]
    public async Task GetOperation_WithARequestTypeForTheResult_IsRefusedAtOnce()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());

        var exception = Assert.Throws<ArgumentException>(() => jobs.GetOperation<PrimesRequest>(Guid.NewGuid()));

        Assert.StartsWith("PrimesRequest is not the result type of any job kind of SampleJobsClient; the kinds' result types are: SleepResult ('fail'), PrimesResult ('primes'), ReportResult ('report'), SleepResult ('sleep').", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingJob_WaitForCompletion_ThrowsJobFailedExceptionWithProblemDetails()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());
        var operation = await jobs.StartFailJobAsync(new FailRequest { Seconds = 0 }).WaitAsync(TestTimeouts.Signal);
        var started = operation;

        var exception = await Assert.ThrowsAsync<JobFailedException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(started.Id, exception.JobId);
        Assert.Equal("The job failed.", exception.Problem?.Title);
        Assert.Equal("urn:longjobs:problem:job-failed", exception.Problem?.Type);
        Assert.Contains("failed on purpose", exception.Problem?.Detail, StringComparison.Ordinal);
        Assert.Equal(ClientJobStatus.Failed, operation.Status);
        Assert.True(operation.HasCompleted);
        Assert.False(operation.HasValue);
    }

    [Fact]
    public async Task CancelRunningJob_WhileWaiting_WaitThrowsOperationCanceledException()
    {
        await using var server = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        var log = new RequestLog();
        var jobs = CreatePlainClient(server, new LongJobsClientOptions(), log);
        var operation = jobs.GetOperation<GateResult>(gated.Id);

        var waiting = operation.WaitForCompletionAsync();
        await log.WaitForRequestAsync($"GET /api/jobs/{gated.Id}?wait=");
        var afterCancel = await jobs.CancelJobAsync(gated.Id).WaitAsync(TestTimeouts.Signal);

        var exception = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeouts.Signal));
        Assert.True(afterCancel.CancellationRequested);
        Assert.Contains(gated.Id.ToString(), exception.Message, StringComparison.Ordinal);
        Assert.True(operation.HasCompleted);
        Assert.False(operation.HasValue);
        Assert.Equal(ClientJobStatus.Canceled, operation.Status);
    }

    [Fact]
    public async Task CancelQueuedJob_EndsItAtOnce()
    {
        await using var server = new SampleServerFactory(builder => builder.UseSetting("LongJobs:MaxConcurrency", "1"));
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        var jobs = CreateClient(server, new LongJobsClientOptions());
        var operation = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 1000 }).WaitAsync(TestTimeouts.Signal);
        var queued = operation.State!;

        var state = await operation.CancelAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(ClientJobStatus.Queued, queued.Status);
        Assert.Equal(ClientJobStatus.Canceled, state.Status);
        Assert.True(operation.HasCompleted);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));
        gated.Open();
    }

    [Fact]
    public async Task Reattach_ASecondOperationFromTheIdAlone_AwaitsTheSameResult()
    {
        await using var server = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(server.Services);
        var log = new RequestLog();
        var client = CreatePlainClient(server, new LongJobsClientOptions(), log);
        var otherClient = new LongJobsClient(server.CreateLongJobsHttpClient(new LongJobsClientOptions(), log));
        var first = client.GetOperation<GateResult>(gated.Id);
        var second = new JobOperation<GateResult>(gated.Id, otherClient);

        var waitingFirst = first.WaitForCompletionAsync();
        var waitingSecond = second.WaitForCompletionAsync();
        gated.Open();
        var results = await Task.WhenAll(waitingFirst, waitingSecond).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(gated.Id, results[0].JobId);
        Assert.Equal(results[0], results[1]);
        Assert.Equal(first.Id, second.Id);
        Assert.True(second.HasValue);
    }

    [Fact]
    public async Task UnknownJobId_WaitForCompletion_ThrowsRequestExceptionWith404AndProblem()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var jobs = CreateClient(server, new LongJobsClientOptions(), log);
        var unknown = Guid.CreateVersion7();

        var exception = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.GetPrimesJobOperation(unknown).WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(404, exception.StatusCode);
        Assert.NotNull(exception.Problem);
        Assert.Equal("Job not found.", exception.Problem.Title);
        Assert.Contains(unknown.ToString(), exception.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal("notFoundOrRemoved", exception.Problem.Extensions["reason"].GetString());
        Assert.Single(log.Requests);
    }

    [Fact]
    public async Task AJobLostToARestartOfAnInMemoryServer_WhileAwaited_SaysSo()
    {
        // One address, two servers in turn: the second, as after a restart with the in-memory store, knows nothing of the job.
        await using var first = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(first.Services);
        await gated.Started;
        var address = new SwitchableAddress(first.Address) { InnerHandler = new SocketsHttpHandler() };
        var options = new LongJobsClientOptions();
        var operation = new LongJobsClient(new HttpClient(address) { BaseAddress = first.Address }, options).GetOperation<GateResult>(gated.Id);
        await operation.UpdateStatusAsync().WaitAsync(TestTimeouts.Signal);
        await using var restarted = new SampleServerFactory();
        address.Target = restarted.Address;

        var exception = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(404, exception.StatusCode);
        Assert.Equal("serverRestarted", exception.Problem?.Extensions["reason"].GetString());
        Assert.StartsWith($"Job '{gated.Id}' ('gate', last seen Running) is gone from the server: ", exception.Message, StringComparison.Ordinal);
        Assert.Contains("lost when the server restarts", exception.Message, StringComparison.Ordinal);
        gated.Open();
    }

    [Fact]
    public async Task StartPrimes_WithInvalidRequest_ThrowsValidationProblemWithFieldErrorsAndDoesNotRetry()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var jobs = CreateClient(server, new LongJobsClientOptions(), log);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException<ProblemDetails>>(
            () => jobs.StartPrimesJobAsync(new PrimesRequest { Below = 1 }).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(400, exception.StatusCode);
        var errors = Assert.Single(exception.Problem!.Extensions["errors"].EnumerateObject());
        Assert.Equal("below", errors.Name);
        Assert.NotEqual(0, errors.Value.GetArrayLength());
        Assert.Equal(["POST /api/jobs/primes"], log.Requests);
    }

    [Theory]
    [InlineData("sleep")]
    [InlineData("fail")]
    public async Task StartOtherKinds_WithOutOfRangeSeconds_ThrowsValidationProblem(string kind)
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());
        Func<Task> start = kind == "sleep"
            ? () => jobs.StartSleepJobAsync(new SleepRequest { Seconds = 0 })
            : () => jobs.StartFailJobAsync(new FailRequest { Seconds = -1 });

        var exception = await Assert.ThrowsAsync<LongJobsRequestException<ProblemDetails>>(() => start().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(400, exception.StatusCode);
        Assert.True(exception.Problem!.Extensions["errors"].TryGetProperty("seconds", out _));
    }

    [Fact]
    public async Task StartPrimes_WhenQueueIsFull_RetriesAfterRetryAfterAndSucceedsOnceASlotFrees()
    {
        await using var server = new SampleServerFactory(builder => builder
            .UseSetting("LongJobs:MaxConcurrency", "1")
            .UseSetting("LongJobs:MaxQueuedJobs", "0"));
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        var time = new DelayRecordingTimeProvider();
        var log = new RequestLog();
        var jobs = CreateClient(server, new LongJobsClientOptions { TimeProvider = time }, log);

        var starting = jobs.StartPrimesJobAsync(new PrimesRequest { Below = 1000 });
        var retryAfter = await time.NextDelayAsync();

        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter);
        Assert.False(starting.IsCompleted);
        await log.WaitForResponseAsync("POST /api/jobs/primes", 429);

        gated.Open();
        await gated.Finished;
        time.Advance(retryAfter);
        // The slot is freed just after the gated job's task completes: a retry that came too soon meets 429 again.
        var laterDelays = await time.AdvancePastDelaysUntilAsync(starting);
        var started = await starting;
        var result = await started.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.All(laterDelays, delay => Assert.Equal(TimeSpan.FromSeconds(5), delay));
        Assert.Equal(2 + laterDelays.Count, log.Count("POST /api/jobs/primes"));
        Assert.Equal(168, result.Count);
    }

    [Fact]
    public async Task WaitForCompletion_OnARunningJob_LongPollsAndAnswersWhenItFinishes()
    {
        await using var server = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        // This clock never moves: a client that polled with delays instead of long-polling would never finish.
        var time = new DelayRecordingTimeProvider();
        var log = new RequestLog();
        var client = CreatePlainClient(server, new LongJobsClientOptions { TimeProvider = time }, log);
        var operation = client.GetOperation<GateResult>(gated.Id);

        var waiting = operation.WaitForCompletionAsync();
        await log.WaitForRequestAsync($"GET /api/jobs/{gated.Id}?wait=30");
        Assert.False(waiting.IsCompleted);
        gated.Open();
        var result = await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.Equal("The gate opened.", result.Message);
        Assert.InRange(log.Count("GET /api/jobs/"), 1, 2);
        Assert.False(time.HasUnreadDelay, "The client waited between requests instead of long-polling.");
    }

    [Fact]
    public async Task WaitForCompletion_WhenTheLongPollRunsOut_AsksAgainAtOnce()
    {
        await using var server = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        // This clock never moves: only a client that asks again at once after a long-poll runs out gets a second answer.
        var time = new DelayRecordingTimeProvider();
        var log = new RequestLog();
        var client = CreatePlainClient(server, new LongJobsClientOptions { TimeProvider = time, LongPollWait = TimeSpan.FromSeconds(1) }, log);
        var operation = client.GetOperation<GateResult>(gated.Id);

        var waiting = operation.WaitForCompletionAsync();
        await log.WaitForRequestAsync($"GET /api/jobs/{gated.Id}?wait=1", count: 2);
        gated.Open();
        var result = await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(gated.Id, result.JobId);
        Assert.False(time.HasUnreadDelay, "The client waited after the long-poll ran out.");
    }

    [Fact]
    public async Task WaitForCompletion_WhenCallerCancelsDuringTheLongPoll_StopsAtOnceAndTheJobGoesOn()
    {
        await using var server = new SampleServerFactory();
        var gated = await GatedJob.StartAsync(server.Services);
        await gated.Started;
        var log = new RequestLog();
        var client = CreatePlainClient(server, new LongJobsClientOptions(), log);
        var operation = client.GetOperation<GateResult>(gated.Id);
        using var stop = new CancellationTokenSource();

        var waiting = operation.WaitForCompletionAsync(stop.Token);
        await log.WaitForRequestAsync($"GET /api/jobs/{gated.Id}?wait=30");
        await stop.CancelAsync();

        // Well under the 30 s the server would hold the long-poll: the request itself is abandoned.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(operation.HasCompleted);
        var state = await client.GetJobAsync(gated.Id).WaitAsync(TestTimeouts.Signal);
        Assert.Equal(ClientJobStatus.Running, state.Status);
        Assert.False(state.CancellationRequested);
        Assert.Equal(1, log.Count($"GET /api/jobs/{gated.Id}?wait="));
        gated.Open();
    }

    [Fact]
    public async Task ListJobs_ByKind_ListsTheStartedJobsNewestFirst()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());
        var older = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100 }).WaitAsync(TestTimeouts.Signal);
        var newer = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 200 }).WaitAsync(TestTimeouts.Signal);
        await jobs.StartFailJobAsync(new FailRequest { Seconds = 0 }).WaitAsync(TestTimeouts.Signal);

        var list = await jobs.ListJobsAsync(kind: "primes", pageSize: 10).WaitAsync(TestTimeouts.Signal);

        Assert.Equal([newer.Id, older.Id], list.Items.Select(job => job.Id));
        Assert.Null(list.NextPageToken);
    }

    [Fact]
    public async Task RetryJob_OfAFailedJob_StartsANewJobLinkedToIt_AndTheListFindsBothByCreationTime()
    {
        await using var server = new SampleServerFactory();
        var jobs = CreateClient(server, new LongJobsClientOptions());
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var failed = await jobs.StartFailJobAsync(new FailRequest { Seconds = 0 }).WaitAsync(TestTimeouts.Signal);
        await Assert.ThrowsAsync<JobFailedException>(() => failed.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        var retry = await jobs.RetryJobAsync(failed.Id).WaitAsync(TestTimeouts.Signal);
        var again = await jobs.RetryJobAsync(failed.Id).WaitAsync(TestTimeouts.Signal);
        var listed = await jobs.ListJobsAsync(kind: "fail", createdAfter: before, createdBefore: DateTimeOffset.UtcNow.AddMinutes(1)).WaitAsync(TestTimeouts.Signal);
        var none = await jobs.ListJobsAsync(kind: "fail", createdBefore: before).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(failed.Id, retry.RetryOf);
        Assert.Equal("fail", retry.Kind);
        Assert.Equal(retry.Id, again.Id);
        Assert.Equal([retry.Id, failed.Id], listed.Items.Select(job => job.Id));
        Assert.Empty(none.Items);
    }

    [Fact]
    public async Task StartPrimes_WhenTheFirstResponseIsLost_RetriesWithTheSameKeyAndStartsExactlyOneJob()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var loss = new FirstResponseLoss();
        var options = new LongJobsClientOptions { RetryDelay = TimeSpan.Zero };
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options, log, loss), options);

        var started = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100 }).WaitAsync(TestTimeouts.Signal);
        var list = await jobs.ListJobsAsync(kind: "primes", pageSize: 10).WaitAsync(TestTimeouts.Signal);

        var lost = Assert.NotNull(loss.LostBody);
        Assert.Equal(lost.GetProperty("id").GetGuid(), started.Id);
        Assert.Equal(2, log.Count("POST /api/jobs/primes"));
        var keys = loss.IdempotencyKeys.Take(2).ToList();
        Assert.NotNull(keys[0]);
        Assert.Equal(keys[0], keys[1]);
        Assert.Equal(started.Id, Assert.Single(list.Items).Id);
    }

    private static SampleJobsClient CreateClient(SampleServerFactory server, LongJobsClientOptions options, RequestLog? log = null) =>
        new(server.CreateLongJobsHttpClient(options, log), options);

    /// <summary>Writes every report to a channel, on the reporting thread, so none is lost or reordered.</summary>
    private sealed class ChannelProgress(ChannelWriter<JobProgress> reports) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => reports.TryWrite(value);
    }

    private static LongJobsClient CreatePlainClient(SampleServerFactory server, LongJobsClientOptions options, RequestLog? log = null) =>
        new(server.CreateLongJobsHttpClient(options, log), options);

    /// <summary>Sends every request to the server it is set to now, as one address whose server was replaced.</summary>
    private sealed class SwitchableAddress(Uri target) : DelegatingHandler
    {
        public Uri Target { get; set; } = target;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Host = Target.Host, Port = Target.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
