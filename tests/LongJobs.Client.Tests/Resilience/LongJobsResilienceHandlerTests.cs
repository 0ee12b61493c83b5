using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using LongJobs.Client.Resilience;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Http;
using Polly.Timeout;

namespace LongJobs.Client.Tests.Resilience;

/// <summary>The retry pipeline against a real Kestrel server that misbehaves on purpose.</summary>
public sealed class LongJobsResilienceHandlerTests
{
    private static readonly Uri JobUri = new("api/jobs/7d0cbd5c-9a3e-4bb4-9d3e-0a7c3a2b8f11", UriKind.Relative);
    private static readonly Uri StartUri = new("api/jobs/primes", UriKind.Relative);

    [Fact]
    public async Task Get_When503TwiceThen200_SucceedsAfterExactlyThreeRequestsWithBackoff()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
            Answer(context, number <= 2 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK));
        var time = new DelayRecordingTimeProvider();
        using var client = server.CreateResilientClient(new LongJobsClientOptions { TimeProvider = time });

        var sending = client.GetAsync(JobUri);
        for (var retry = 1; retry <= 2; retry++)
        {
            var delay = await time.NextDelayAsync();
            Assert.Equal(retry, server.RequestCount);
            Assert.InRange(delay, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30));
            time.Advance(delay);
        }

        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task Get_When429WithRetryAfterSeconds_WaitsExactlyThoseSeconds()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) => number == 1
            ? JobStateJson.WriteProblemAsync(context, StatusCodes.Status429TooManyRequests, retryAfterSeconds: 7)
            : Answer(context, StatusCodes.Status200OK));
        var time = new DelayRecordingTimeProvider();
        using var client = server.CreateResilientClient(new LongJobsClientOptions { TimeProvider = time });

        var sending = client.GetAsync(JobUri);
        var delay = await time.NextDelayAsync();

        Assert.Equal(TimeSpan.FromSeconds(7), delay);
        Assert.Equal(1, server.RequestCount);
        Assert.False(sending.IsCompleted);

        time.Advance(delay);
        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task Get_When503WithRetryAfterDate_WaitsUntilThatDate()
    {
        var time = new DelayRecordingTimeProvider();
        var retryAt = time.GetUtcNow().AddSeconds(20);
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number > 1)
            {
                return Answer(context, StatusCodes.Status200OK);
            }

            context.Response.Headers.RetryAfter = retryAt.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            return Answer(context, StatusCodes.Status503ServiceUnavailable);
        });
        using var client = server.CreateResilientClient(new LongJobsClientOptions { TimeProvider = time });

        var sending = client.GetAsync(JobUri);
        var delay = await time.AdvancePastNextDelayAsync();
        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(TimeSpan.FromSeconds(20), delay);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_WhenRetryAfterExceedsMaxRetryDelay_WaitsOnlyMaxRetryDelay()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) => number == 1
            ? JobStateJson.WriteProblemAsync(context, StatusCodes.Status429TooManyRequests, retryAfterSeconds: 3600)
            : Answer(context, StatusCodes.Status200OK));
        var time = new DelayRecordingTimeProvider();
        using var client = server.CreateResilientClient(new LongJobsClientOptions { TimeProvider = time, MaxRetryDelay = TimeSpan.FromSeconds(10) });

        var sending = client.GetAsync(JobUri);
        var delay = await time.AdvancePastNextDelayAsync();
        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(TimeSpan.FromSeconds(10), delay);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_WhenConnectionIsDropped_IsRetried()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 1)
            {
                context.Abort();
                return Task.CompletedTask;
            }

            return Answer(context, StatusCodes.Status200OK);
        });
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.GetAsync(JobUri).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task Get_WhenAttemptTimesOut_IsRetried()
    {
        await using var server = await ScriptedServer.StartAsync(async (context, number) =>
        {
            if (number == 1)
            {
                await UntilClientLeavesAsync(context);
                return;
            }

            await Answer(context, StatusCodes.Status200OK);
        });
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions { TimeProvider = time, RetryDelay = TimeSpan.Zero };
        using var client = server.CreateResilientClient(options);

        var sending = client.GetAsync(JobUri);
        await server.WaitForRequestAsync(1).WaitAsync(TestTimeouts.Signal);
        time.Advance(options.AttemptTimeout);
        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task Get_WhenServerKeepsAnswering503_StopsAfterMaxRetryAttemptsAndThrowsWithStatus503()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) =>
            JobStateJson.WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable));
        var options = new LongJobsClientOptions { MaxRetryAttempts = 3, RetryDelay = TimeSpan.Zero };
        using var httpClient = server.CreateResilientClient(options);
        var client = new LongJobsClient(httpClient, options);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException<Models.ProblemDetails>>(
            () => client.GetJobAsync(Guid.NewGuid()).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, exception.StatusCode);
        Assert.Equal("Scripted 503.", exception.Problem?.Title);
        Assert.Equal(options.MaxRetryAttempts + 1, server.RequestCount);
        Assert.Matches(@"^The server answered 503 Service Unavailable after 4 attempts over \d+\.\d s: Scripted 503\.", exception.Message);
    }

    [Fact]
    public async Task Get_WhenMaxRetryAttemptsIsZero_SendsOnce()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, StatusCodes.Status503ServiceUnavailable));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { MaxRetryAttempts = 0 });

        using var response = await client.GetAsync(JobUri).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, server.RequestCount);
    }

    [Theory]
    [InlineData(StatusCodes.Status408RequestTimeout)]
    [InlineData(StatusCodes.Status429TooManyRequests)]
    [InlineData(StatusCodes.Status500InternalServerError)]
    [InlineData(StatusCodes.Status502BadGateway)]
    [InlineData(StatusCodes.Status503ServiceUnavailable)]
    [InlineData(StatusCodes.Status504GatewayTimeout)]
    public async Task Get_WhenStatusIsTransient_IsRetried(int status)
    {
        await using var server = await ScriptedServer.StartAsync((context, number) => Answer(context, number == 1 ? status : StatusCodes.Status200OK));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.GetAsync(JobUri).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
    }

    [Theory]
    [InlineData(StatusCodes.Status400BadRequest)]
    [InlineData(StatusCodes.Status401Unauthorized)]
    [InlineData(StatusCodes.Status404NotFound)]
    [InlineData(StatusCodes.Status409Conflict)]
    public async Task Get_WhenStatusIsNotTransient_IsNotRetried(int status)
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, status));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.GetAsync(JobUri).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Get_WhenServerKeepsFailing_BacksOffExponentially()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, StatusCodes.Status503ServiceUnavailable));
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions
        {
            TimeProvider = time,
            MaxRetryAttempts = 8,
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromMinutes(1),
        };
        using var client = server.CreateResilientClient(options);

        var sending = client.GetAsync(JobUri);
        var delays = await time.AdvancePastDelaysAsync(options.MaxRetryAttempts);

        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(options.MaxRetryAttempts + 1, server.RequestCount);

        // Jitter makes single delays vary (one may be shorter than the one before), but with exponential backoff
        // the first n delays add up to between 2^(n-1) and 2^n base delays (0.7 × 2^n with Polly's jitter): retries
        // 5-8 wait far longer than retries 1-4, and all eight far longer than constant or linear backoff would.
        var first = delays.Take(4).Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay);
        var last = delays.Skip(4).Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay);
        var all = string.Join(", ", delays);
        Assert.True(last > 4 * first, $"Retries 5-8 waited {last}, retries 1-4 {first}: {all}.");
        Assert.InRange(first + last, 64 * options.RetryDelay, 256 * options.RetryDelay);
    }

    [Fact]
    public async Task Get_WhenBackoffWouldExceedMaxRetryDelay_WaitsAtMostMaxRetryDelay()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, StatusCodes.Status503ServiceUnavailable));
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions
        {
            TimeProvider = time,
            MaxRetryAttempts = 6,
            RetryDelay = TimeSpan.FromSeconds(1),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
        };
        using var client = server.CreateResilientClient(options);

        var sending = client.GetAsync(JobUri);
        var delays = await time.AdvancePastDelaysAsync(options.MaxRetryAttempts);

        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, options.MaxRetryDelay));
        Assert.Equal(options.MaxRetryAttempts + 1, server.RequestCount);
    }

    [Theory]
    [InlineData(StatusCodes.Status408RequestTimeout)]
    [InlineData(StatusCodes.Status429TooManyRequests)]
    [InlineData(StatusCodes.Status500InternalServerError)]
    [InlineData(StatusCodes.Status502BadGateway)]
    [InlineData(StatusCodes.Status503ServiceUnavailable)]
    [InlineData(StatusCodes.Status504GatewayTimeout)]
    public async Task Post_WhenStatusIsTransient_IsRetriedWithItsBodyAndTheSameIdempotencyKey(int status)
    {
        var bodies = new List<string>();
        await using var server = await ScriptedServer.StartAsync(async (context, number) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            bodies.Add(await reader.ReadToEndAsync());
            await Answer(context, number == 1 ? status : StatusCodes.Status202Accepted);
        });
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
        Assert.All(bodies, body => Assert.Equal("""{"below":100}""", body));
        AssertOneGeneratedKeyOnEveryAttempt(server, attempts: 2);
    }

    [Theory]
    [InlineData(StatusCodes.Status400BadRequest)]
    [InlineData(StatusCodes.Status404NotFound)]
    [InlineData(StatusCodes.Status409Conflict)]
    [InlineData(StatusCodes.Status422UnprocessableEntity)]
    public async Task Post_WhenStatusIsNotTransient_IsNotRetried(int status)
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, status));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Post_WhenConnectionDropsAfterSending_IsRetriedWithTheSameIdempotencyKey()
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
        {
            if (number == 1)
            {
                context.Abort();
                return Task.CompletedTask;
            }

            return Answer(context, StatusCodes.Status202Accepted);
        });
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        AssertOneGeneratedKeyOnEveryAttempt(server, attempts: 2);
    }

    [Fact]
    public async Task Post_WhenEveryConnectionDrops_ThrowsRequestExceptionWithStatusZeroAfterTheRetries()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        var options = new LongJobsClientOptions { MaxRetryAttempts = 2, RetryDelay = TimeSpan.Zero };
        using var client = server.CreateResilientClient(options);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(() => client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(0, exception.StatusCode);
        Assert.IsType<HttpRequestException>(exception.InnerException);
        Assert.Empty(exception.Headers);
        Assert.Null(exception.Response);
        Assert.Matches($@"^The request to {System.Text.RegularExpressions.Regex.Escape(new Uri(server.BaseAddress, StartUri).ToString())} failed after 3 attempts over \d+\.\d s: ", exception.Message);
        AssertOneGeneratedKeyOnEveryAttempt(server, attempts: options.MaxRetryAttempts + 1);
    }

    [Fact]
    public async Task Post_WhenAttemptTimesOut_IsRetriedWithTheSameIdempotencyKey()
    {
        await using var server = await ScriptedServer.StartAsync(async (context, number) =>
        {
            if (number == 1)
            {
                await UntilClientLeavesAsync(context);
                return;
            }

            await Answer(context, StatusCodes.Status202Accepted);
        });
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions { TimeProvider = time, RetryDelay = TimeSpan.Zero };
        using var client = server.CreateResilientClient(options);

        var sending = client.PostAsync(StartUri, JsonBody());
        await server.WaitForRequestAsync(1).WaitAsync(TestTimeouts.Signal);
        time.Advance(options.AttemptTimeout);
        using var response = await sending.WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        AssertOneGeneratedKeyOnEveryAttempt(server, attempts: 2);
    }

    [Fact]
    public async Task Post_WhenEveryAttemptTimesOut_ThrowsRequestExceptionWithStatusZeroAfterTheRetries()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => UntilClientLeavesAsync(context));
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions { TimeProvider = time, MaxRetryAttempts = 1, RetryDelay = TimeSpan.Zero };
        using var client = server.CreateResilientClient(options);

        var sending = client.PostAsync(StartUri, JsonBody());
        for (var attempt = 1; attempt <= options.MaxRetryAttempts + 1; attempt++)
        {
            await server.WaitForRequestAsync(attempt).WaitAsync(TestTimeouts.Signal);
            time.Advance(options.AttemptTimeout);
        }

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(() => sending.WaitAsync(TestTimeouts.Signal));
        Assert.Equal(0, exception.StatusCode);
        Assert.IsType<TimeoutRejectedException>(exception.InnerException);
        Assert.Empty(exception.Headers);
        Assert.Equal($"The request to {new Uri(server.BaseAddress, StartUri)} timed out after {options.AttemptTimeout} in each of 2 attempts over 200.0 s.", exception.Message);
        AssertOneGeneratedKeyOnEveryAttempt(server, attempts: options.MaxRetryAttempts + 1);
    }

    [Theory]
    [InlineData("caller-key-1")]
    [InlineData("\"caller-key-1\"")]
    public async Task Post_WithTheCallersIdempotencyKey_KeepsThatKeyOnEveryAttempt(string key)
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
            Answer(context, number == 1 ? StatusCodes.Status500InternalServerError : StatusCodes.Status202Accepted));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });
        using var request = new HttpRequestMessage(HttpMethod.Post, StartUri) { Content = JsonBody() };
        request.Headers.Add(LongJobsResilienceHandler.IdempotencyKeyHeader, key);

        using var response = await client.SendAsync(request).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([key, key], server.HeaderValues(LongJobsResilienceHandler.IdempotencyKeyHeader).Select(values => Assert.Single(values)));
    }

    [Fact]
    public async Task Post_TwoRequests_GetDifferentIdempotencyKeys()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, StatusCodes.Status202Accepted));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var first = await client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal);
        using var second = await client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal);

        var keys = server.HeaderValues(LongJobsResilienceHandler.IdempotencyKeyHeader).Select(values => Assert.Single(values)).ToList();
        Assert.Equal(2, keys.Count);
        Assert.NotEqual(keys[0], keys[1]);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task OtherMethods_GetNoIdempotencyKey(string method)
    {
        await using var server = await ScriptedServer.StartAsync((context, number) =>
            Answer(context, number == 1 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });
        using var request = new HttpRequestMessage(new HttpMethod(method), JobUri);

        using var response = await client.SendAsync(request).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.RequestCount);
        Assert.All(server.HeaderValues(LongJobsResilienceHandler.IdempotencyKeyHeader), values => Assert.Empty(values));
    }

    [Fact]
    public async Task Patch_When500_IsNotRetriedAndGetsNoIdempotencyKey()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => Answer(context, StatusCodes.Status500InternalServerError));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });

        using var response = await client.PatchAsync(JobUri, JsonBody()).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, server.RequestCount);
        Assert.Empty(Assert.Single(server.HeaderValues(LongJobsResilienceHandler.IdempotencyKeyHeader)));
    }

    [Fact]
    public async Task Post_WhenConnectionIsRefused_IsRetriedUpToMaxRetryAttempts()
    {
        // A port that was just free: nothing listens there, so every connection attempt is refused at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var options = new LongJobsClientOptions { MaxRetryAttempts = 2, RetryDelay = TimeSpan.Zero };
        var attempts = new RequestLog { InnerHandler = new SocketsHttpHandler() };
        using var client = new HttpClient(new LongJobsResilienceHandler(options) { InnerHandler = attempts })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
        };

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(() => client.PostAsync(StartUri, JsonBody()).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(0, exception.StatusCode);
        Assert.Equal(HttpRequestError.ConnectionError, Assert.IsType<HttpRequestException>(exception.InnerException).HttpRequestError);
        Assert.Equal(options.MaxRetryAttempts + 1, attempts.Count("POST /api/jobs/primes"));
    }

    [Fact]
    public async Task Get_WhenEveryAttemptTimesOut_ThrowsRequestExceptionWithStatusZeroAfterTheRetries()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => UntilClientLeavesAsync(context));
        var time = new DelayRecordingTimeProvider();
        var options = new LongJobsClientOptions { TimeProvider = time, MaxRetryAttempts = 1, RetryDelay = TimeSpan.Zero };
        using var client = server.CreateResilientClient(options);

        var sending = client.GetAsync(JobUri);
        for (var attempt = 1; attempt <= options.MaxRetryAttempts + 1; attempt++)
        {
            await server.WaitForRequestAsync(attempt).WaitAsync(TestTimeouts.Signal);
            time.Advance(options.AttemptTimeout);
        }

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(() => sending.WaitAsync(TestTimeouts.Signal));

        Assert.Equal(0, exception.StatusCode);
        Assert.IsType<TimeoutRejectedException>(exception.InnerException);
        Assert.Equal(options.MaxRetryAttempts + 1, server.RequestCount);
    }

    [Fact]
    public async Task Get_WhenCallerCancelsDuringAnAttempt_ThrowsOperationCanceledException()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) => UntilClientLeavesAsync(context));
        using var client = server.CreateResilientClient(new LongJobsClientOptions { RetryDelay = TimeSpan.Zero });
        using var stop = new CancellationTokenSource();

        var sending = client.GetAsync(JobUri, stop.Token);
        await server.WaitForRequestAsync(1).WaitAsync(TestTimeouts.Signal);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TestTimeouts.Signal));
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task GetJob_WhenEveryConnectionIsDropped_ThrowsRequestExceptionWithStatusZero()
    {
        await using var server = await ScriptedServer.StartAsync((context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        var options = new LongJobsClientOptions { MaxRetryAttempts = 2, RetryDelay = TimeSpan.Zero };
        var client = new LongJobsClient(server.CreateResilientClient(options), options);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(() => client.GetJobAsync(Guid.NewGuid()).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(0, exception.StatusCode);
        Assert.IsType<HttpRequestException>(exception.InnerException);
        Assert.Null(exception.Problem);
        Assert.Equal(options.MaxRetryAttempts + 1, server.RequestCount);
    }

    [Fact]
    public async Task GeneratedClient_WhenConnectionIsRefused_ThrowsRequestExceptionWithStatusZero()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var options = new LongJobsClientOptions { MaxRetryAttempts = 1, RetryDelay = TimeSpan.Zero };
        using var httpClient = new HttpClient(new LongJobsResilienceHandler(options) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
        };
        var client = new Sample.SampleJobsClient(httpClient, options);

        var exception = await Assert.ThrowsAsync<LongJobsRequestException>(
            () => client.StartPrimesJobAsync(new Sample.PrimesRequest { Below = 100 }).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(0, exception.StatusCode);
        Assert.IsType<HttpRequestException>(exception.InnerException);
    }

    [Fact]
    public void RetryAfter_WithDelta_IsThatDelta()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(4));

        Assert.Equal(TimeSpan.FromSeconds(4), LongJobsResilienceHandler.RetryAfter(response, new LongJobsClientOptions()));
    }

    [Fact]
    public void RetryAfter_WithDate_IsTheTimeUntilThatDate()
    {
        var time = new DelayRecordingTimeProvider();
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(12));

        Assert.Equal(TimeSpan.FromSeconds(12), LongJobsResilienceHandler.RetryAfter(response, new LongJobsClientOptions { TimeProvider = time }));
    }

    [Fact]
    public void RetryAfter_WithDateInThePast_IsZero()
    {
        var time = new DelayRecordingTimeProvider();
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(time.GetUtcNow().AddMinutes(-1));

        Assert.Equal(TimeSpan.Zero, LongJobsResilienceHandler.RetryAfter(response, new LongJobsClientOptions { TimeProvider = time }));
    }

    [Fact]
    public void RetryAfter_LongerThanMaxRetryDelay_IsCapped()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(3), LongJobsResilienceHandler.RetryAfter(response, new LongJobsClientOptions { MaxRetryDelay = TimeSpan.FromSeconds(3) }));
    }

    [Fact]
    public void RetryAfter_WithoutHeaderOrResponse_IsNullSoTheBackoffApplies()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.Null(LongJobsResilienceHandler.RetryAfter(response, new LongJobsClientOptions()));
        Assert.Null(LongJobsResilienceHandler.RetryAfter(null, new LongJobsClientOptions()));
    }

    /// <summary>Every one of the <paramref name="attempts"/> requests carried the same single key, a GUID the handler made.</summary>
    private static void AssertOneGeneratedKeyOnEveryAttempt(ScriptedServer server, int attempts)
    {
        var keys = server.HeaderValues(LongJobsResilienceHandler.IdempotencyKeyHeader).Select(values => Assert.Single(values)).ToList();
        Assert.Equal(attempts, keys.Count);
        Assert.Single(keys.Distinct());
        Assert.True(Guid.TryParseExact(keys[0], "D", out _), $"'{keys[0]}' is not a GUID in the D format.");
    }

    private static Task Answer(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static async Task UntilClientLeavesAsync(HttpContext context)
    {
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = context.RequestAborted.Register(() => left.TrySetResult());
        await left.Task;
    }

    private static StringContent JsonBody() => new("""{"below":100}""", System.Text.Encoding.UTF8, "application/json");
}
