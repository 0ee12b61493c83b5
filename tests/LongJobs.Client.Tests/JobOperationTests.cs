using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Http;
using ClientJobStatus = LongJobs.Client.Models.JobStatus;

namespace LongJobs.Client.Tests;

/// <summary>
/// <see cref="JobOperation{TResult}"/> against a scripted Kestrel server: polling when the server does not
/// long-poll, long-poll when it does, and each way a job can end.
/// </summary>
public sealed class JobOperationTests
{
    private static readonly object Primes = new { below = 100, count = 25, largest = 97 };

    private readonly Guid _id = Guid.NewGuid();
    private readonly DelayRecordingTimeProvider _time = new();

    [Fact]
    public async Task WaitForCompletion_WhenServerDoesNotLongPoll_PollsAfterRetryAfterAndReturnsTypedResult()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number <= 3)
            {
                context.Response.Headers.RetryAfter = "1";
                return JobStateJson.WriteAsync(context, _id, "Running", progress: number / 4.0);
            }

            return JobStateJson.WriteAsync(context, _id, "Succeeded", Primes, progress: 1);
        });
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var waiting = operation.WaitForCompletionAsync();
        for (var poll = 1; poll <= 3; poll++)
        {
            var delay = await _time.NextDelayAsync();
            Assert.Equal(TimeSpan.FromSeconds(1), delay);
            Assert.Equal(poll, server.RequestCount);
            Assert.Equal(poll / 4.0, operation.Progress);
            Assert.False(operation.HasCompleted);
            _time.Advance(delay);
        }

        var result = await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(25, result.Count);
        Assert.Equal(97, result.Largest);
        Assert.True(operation.HasCompleted);
        Assert.True(operation.HasValue);
        Assert.Equal(ClientJobStatus.Succeeded, operation.Status);
        Assert.Equal(97, operation.Value.Largest);
        Assert.Equal(4, server.RequestCount);
        Assert.All(server.Requests, request => Assert.Equal($"GET /api/jobs/{_id}?wait=30", request));
    }

    [Fact]
    public async Task WaitForCompletion_WithoutRetryAfter_BacksOffFromPollingIntervalUpToMaxPollingInterval()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
            JobStateJson.WriteAsync(context, _id, number <= 6 ? "Running" : "Succeeded", number <= 6 ? null : Primes));
        var options = new LongJobsClientOptions
        {
            TimeProvider = _time,
            PollingInterval = TimeSpan.FromSeconds(1),
            MaxPollingInterval = TimeSpan.FromSeconds(3),
        };
        var operation = CreateOperation(server, options);

        var waiting = operation.WaitForCompletionAsync();
        var delays = await _time.AdvancePastDelaysAsync(6);

        await waiting.WaitAsync(TestTimeouts.Signal);

        // Exponential backoff from 1 s: six delays add up to far more than six seconds, so some exceed the first
        // interval, and none exceeds the cap.
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, options.MaxPollingInterval));
        Assert.Contains(delays, delay => delay > options.PollingInterval);
        Assert.Equal(7, server.RequestCount);
    }

    [Fact]
    public async Task WaitForCompletion_WhenServerStopsLongPollingAfterManyLongPolls_PollsFirstAfterPollingInterval()
    {
        // Eight long-polls run out, then the server (say, a new instance behind the load balancer) stops long-polling.
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number <= 8)
            {
                context.Response.Headers["Preference-Applied"] = "wait=30";
            }

            return number <= 9 ? JobStateJson.WriteAsync(context, _id, "Running") : JobStateJson.WriteAsync(context, _id, "Succeeded", Primes);
        });
        var options = new LongJobsClientOptions { TimeProvider = _time, PollingInterval = TimeSpan.FromSeconds(1), MaxPollingInterval = TimeSpan.FromMinutes(1) };
        var operation = CreateOperation(server, options);

        var waiting = operation.WaitForCompletionAsync();
        var delay = await _time.NextDelayAsync();
        Assert.Equal(9, server.RequestCount);
        _time.Advance(delay);
        await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.InRange(delay, 0.75 * options.PollingInterval, 1.25 * options.PollingInterval);
        Assert.False(_time.HasUnreadDelay, "The client waited between long-polls.");
    }

    [Fact]
    public async Task WaitForCompletion_AfterALongPolledAnswer_BacksOffAgainFromPollingInterval()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 4)
            {
                context.Response.Headers["Preference-Applied"] = "wait=30";
            }

            return number <= 5 ? JobStateJson.WriteAsync(context, _id, "Running") : JobStateJson.WriteAsync(context, _id, "Succeeded", Primes);
        });
        var options = new LongJobsClientOptions { TimeProvider = _time, PollingInterval = TimeSpan.FromSeconds(1), MaxPollingInterval = TimeSpan.FromMinutes(1) };
        var operation = CreateOperation(server, options);

        var waiting = operation.WaitForCompletionAsync();
        var delays = await _time.AdvancePastDelaysUntilAsync(waiting);
        await waiting;

        // Exponential with ±25 % jitter: about 1 s, 2 s and 4 s after polls 1-3, none after the long-poll (4), and
        // about 1 s again after poll 5.
        Assert.Equal(4, delays.Count);
        Assert.InRange(delays[0], TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1.25));
        Assert.InRange(delays[1], TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.5));
        Assert.InRange(delays[2], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        Assert.InRange(delays[3], TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1.25));
        Assert.Equal(6, server.RequestCount);
    }

    [Fact]
    public async Task WaitForCompletion_WhenRetryAfterExceedsMaxPollingInterval_WaitsMaxPollingInterval()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 1)
            {
                context.Response.Headers.RetryAfter = "60";
                return JobStateJson.WriteAsync(context, _id, "Queued");
            }

            return JobStateJson.WriteAsync(context, _id, "Succeeded", Primes);
        });
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time, MaxPollingInterval = TimeSpan.FromSeconds(5) });

        var waiting = operation.WaitForCompletionAsync();
        var delay = await _time.AdvancePastNextDelayAsync();
        await waiting.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(TimeSpan.FromSeconds(5), delay);
    }

    [Fact]
    public async Task WaitForCompletion_WhenServerLongPolled_AsksAgainAtOnce()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 1)
            {
                // The long-poll's wait ran out before the job finished.
                context.Response.Headers["Preference-Applied"] = "wait=30";
                context.Response.Headers.RetryAfter = "1";
                return JobStateJson.WriteAsync(context, _id, "Running");
            }

            return JobStateJson.WriteAsync(context, _id, "Succeeded", Primes);
        });
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var result = await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(25, result.Count);
        Assert.Equal(2, server.RequestCount);
        Assert.False(_time.HasUnreadDelay, "The client waited between long-polls.");
    }

    [Fact]
    public async Task WaitForCompletion_WhenJobFailed_ThrowsJobFailedExceptionWithTheProblem()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(
            context,
            _id,
            "Failed",
            error: new { type = "https://example.com/job-failed", title = "The job failed.", detail = "Out of primes.", exceptionType = "System.InvalidOperationException" }));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var exception = await Assert.ThrowsAsync<JobFailedException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal(_id, exception.JobId);
        Assert.Equal("The job failed.", exception.Problem?.Title);
        Assert.Equal("https://example.com/job-failed", exception.Problem?.Type);
        Assert.Equal("Out of primes.", exception.Problem?.Detail);
        Assert.Equal("System.InvalidOperationException", exception.Problem?.Extensions["exceptionType"].GetString());
        Assert.True(operation.HasCompleted);
        Assert.False(operation.HasValue);
        Assert.Equal(ClientJobStatus.Failed, operation.Status);
        Assert.Throws<JobFailedException>(() => operation.Value);
    }

    [Fact]
    public async Task WaitForCompletion_WhenJobWasCanceled_ThrowsOperationCanceledException()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Canceled"));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var exception = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Contains(_id.ToString(), exception.Message, StringComparison.Ordinal);
        Assert.True(operation.HasCompleted);
        Assert.Equal(ClientJobStatus.Canceled, operation.Status);
        Assert.ThrowsAny<OperationCanceledException>(() => operation.Value);
    }

    [Fact]
    public async Task WaitForCompletion_WhenCallerCancelsWhileWaitingToPoll_StopsAtOnceAndJobStaysUnfinished()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) =>
        {
            context.Response.Headers.RetryAfter = "1";
            return JobStateJson.WriteAsync(context, _id, "Running");
        });
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });
        using var stop = new CancellationTokenSource();

        var waiting = operation.WaitForCompletionAsync(stop.Token);
        await _time.NextDelayAsync();
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeouts.Signal));
        Assert.False(operation.HasCompleted);
        Assert.Equal(ClientJobStatus.Running, operation.Status);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task WaitForCompletion_WhenAlreadyCompleted_ReturnsTheResultWithoutAsking()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", Primes));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });
        await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        var again = await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(25, again.Count);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task UpdateStatus_ReadsTheStateWithoutWaiting()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Running", progress: 0.4));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        Assert.Null(operation.Status);
        Assert.False(operation.HasCompleted);
        Assert.Throws<InvalidOperationException>(() => operation.Value);

        var state = await operation.UpdateStatusAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(ClientJobStatus.Running, state.Status);
        Assert.Equal(ClientJobStatus.Running, operation.Status);
        Assert.Equal(0.4, operation.Progress);
        Assert.False(operation.HasCompleted);
        Assert.False(operation.HasValue);
        Assert.Throws<InvalidOperationException>(() => operation.Value);
        Assert.Equal([$"GET /api/jobs/{_id}"], server.Requests);
    }

    [Fact]
    public async Task Cancel_PostsToTheJobsCancelActionAndObservesTheAnsweredState()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Canceled"));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var state = await operation.CancelAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(ClientJobStatus.Canceled, state.Status);
        Assert.True(operation.HasCompleted);
        Assert.Equal([$"POST /api/jobs/{_id}/cancel"], server.Requests);
    }

    [Fact]
    public async Task WaitForCompletion_WithCustomJobsPath_AsksThere()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", Primes));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time, JobsPath = "v2/jobs", LongPollWait = TimeSpan.FromSeconds(5) });

        await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal([$"GET /v2/jobs/{_id}?wait=5"], server.Requests);
    }

    [Fact]
    public async Task WaitForCompletion_WhenResultIsNotOfTheExpectedType_ThrowsInvalidOperationException()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", "not primes"));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Contains(nameof(PrimesResult), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForCompletion_OnAClientSubclassMadeWithTheMockingConstructor_RunsToCompletionThroughItsOverride()
    {
        var running = new Models.JobState { Id = _id, Kind = "primes", Status = ClientJobStatus.Running, Progress = 0.5 };
        var succeeded = new Models.JobState
        {
            Id = _id,
            Kind = "primes",
            Status = ClientJobStatus.Succeeded,
            Progress = 1,
            Result = System.Text.Json.JsonSerializer.SerializeToElement(Primes),
        };
        var client = new ScriptedLongJobsClient([running, succeeded]);
        var operation = new JobOperation<PrimesResult>(_id, client);

        var result = await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(97, result.Largest);
        Assert.Equal([0.5, 1.0], client.ObservedProgress);
        Assert.True(operation.HasCompleted);
        Assert.True(operation.HasValue);
        Assert.Equal(ClientJobStatus.Succeeded, operation.Status);
    }

    [Fact]
    public async Task WaitForCompletion_WithTheServersJsonOptions_ReadsTheResultAsTheServerWroteIt()
    {
        var snakeCase = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", new { first_name = "Ada", birth_year = 1815 }));
        var options = new LongJobsClientOptions { TimeProvider = _time, SerializerOptions = snakeCase };
        var operation = new LongJobsClient(server.CreateResilientClient(options), options).GetOperation<Person>(_id);

        var person = await operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        Assert.Equal(new Person("Ada", 1815), person);
    }

    [Fact]
    public async Task WaitForCompletion_WhenTheResultSharesNoPropertyWithTheType_SaysItIsNotOne()
    {
        // A plain client cannot know the job's kind; a result with none of the asked type's properties is surely not one.
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Succeeded", new { url = "https://example.com/a.png", bytes = 12 }));
        var operation = CreateOperation(server, new LongJobsClientOptions { TimeProvider = _time });

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => operation.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal($"The result of job '{_id}' (kind 'scripted') is not a PrimesResult: The result has none of PrimesResult's properties.", exception.Message);
    }

    [Fact]
    public void GetOperation_OnAClientThatKnowsItsKinds_RefusesATypeThatIsNoKindsResult()
    {
        var client = new KindsClient();

        var exception = Assert.Throws<ArgumentException>(() => client.GetOperation<PrimesRequest>(_id));

        Assert.StartsWith("PrimesRequest is not the result type of any job kind of KindsClient; the kinds' result types are: PrimesResult ('primes'), SleepResult ('sleep').", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateStatus_WhenTheJobsKindHasAnotherResultType_RefusesIt()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Running", kind: "sleep"));
        var options = new LongJobsClientOptions { TimeProvider = _time };
        var operation = new KindsClient(server.CreateResilientClient(options), options).GetOperation<PrimesResult>(_id);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => operation.UpdateStatusAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal($"Job '{_id}' is a 'sleep' job, whose result is a SleepResult, not a PrimesResult.", exception.Message);
        Assert.Null(operation.State);
    }

    [Fact]
    public async Task UpdateStatus_OfAnOperationForOneKind_RefusesAJobOfAnother()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => JobStateJson.WriteAsync(context, _id, "Running", kind: "sleep"));
        var options = new LongJobsClientOptions { TimeProvider = _time };
        var operation = new KindsClient(server.CreateResilientClient(options), options).GetPrimesOperation(_id);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => operation.UpdateStatusAsync().WaitAsync(TestTimeouts.Signal));

        Assert.Equal($"Job '{_id}' is a 'sleep' job, not a 'primes' job: attach to it as one of its own kind.", exception.Message);
    }

    private JobOperation<PrimesResult> CreateOperation(ScriptedServer server, LongJobsClientOptions options) =>
        new(_id, new LongJobsClient(server.CreateResilientClient(options), options));

    public sealed record Person(string FirstName, int BirthYear);

    /// <summary>A client that knows its server's kinds, as a generated one does.</summary>
    private sealed class KindsClient : LongJobsClient
    {
        public KindsClient()
        {
        }

        public KindsClient(HttpClient httpClient, LongJobsClientOptions options)
            : base(httpClient, options)
        {
        }

        protected override IReadOnlyDictionary<string, Type> ResultTypes { get; } = new Dictionary<string, Type>
        {
            ["sleep"] = typeof(SleepResult),
            ["primes"] = typeof(PrimesResult),
        };

        public JobOperation<PrimesResult> GetPrimesOperation(Guid id) => GetOperation<PrimesResult>(id, "primes");
    }

    /// <summary>A client made as an app's mock would be: the protected constructor and overridden calls.</summary>
    private sealed class ScriptedLongJobsClient(IReadOnlyList<Models.JobState> states) : LongJobsClient
    {
        public List<double> ObservedProgress { get; } = [];

        // An app overrides it as "protected override"; this assembly sees internals (InternalsVisibleTo), so C# wants both.
        protected internal override Task<Models.JobState> WaitUntilFinishedAsync(Guid id, Models.JobState? lastSeen, bool followChanges, Action<Models.JobState> observe, CancellationToken cancellationToken)
        {
            foreach (var state in states)
            {
                observe(state);
                ObservedProgress.Add(state.Progress);
            }

            return Task.FromResult(states[^1]);
        }
    }
}
