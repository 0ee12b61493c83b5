using System.Net;
using System.Net.Sockets;
using System.Text;
using LongJobs.Server.Api;
using LongJobs.Server.Execution;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

public sealed class EventStreamTests
{
    [Fact]
    public async Task JobEvents_ArriveInOrder_AndTheStreamEndsAfterTheFinalEvent()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;

        using var response = await OpenAsync(api, $"/api/jobs/{id}/events");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JobEventStreams.EventStreamMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());

        var running = await events.ReadAsync();
        Assert.NotNull(running);
        Assert.Equal("status", running.Name);
        Assert.Equal("Running", running.Data.GetProperty("status").GetString());
        Assert.Equal(2000, events.Retry);

        api.Gates["g"].Release();
        var events2 = new List<ServerSentEvent>();
        while (await events.ReadAsync() is { } next)
        {
            events2.Add(next);
        }

        // Progress may have been written before or after the stream opened; the last event is the final one, with the result.
        var finished = Assert.Single(events2, e => e.Name == "finished");
        Assert.Same(finished, events2[^1]);
        Assert.Equal("Succeeded", finished.Data.GetProperty("status").GetString());
        Assert.Equal(2, finished.Data.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal($"/api/jobs/{id}", finished.Data.GetProperty("statusUrl").GetString());
        var ids = new[] { running }.Concat(events2).Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Distinct().Count(), ids.Count);
    }

    [Fact]
    public async Task JobEvents_ResumeAfterLastEventId_WithTheFinalEvent_ThenAnswer204()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;

        string firstId;
        using (var response = await OpenAsync(api, $"/api/jobs/{id}/events"))
        using (var events = new EventStreamReader(await response.Content.ReadAsStreamAsync()))
        {
            firstId = (await events.ReadAsync())!.Id!;
        }

        // The job finishes while the client is away.
        api.Gates["g"].Release();
        var final = await api.WaitUntilFinishedAsync(id);

        using var resumed = await OpenAsync(api, $"/api/jobs/{id}/events", lastEventId: firstId);
        using var resumedEvents = new EventStreamReader(await resumed.Content.ReadAsStreamAsync());
        var finished = await resumedEvents.ReadAsync();
        Assert.NotNull(finished);
        Assert.Equal("finished", finished.Name);
        Assert.Equal(final.GetProperty("result").GetRawText(), finished.Data.GetProperty("result").GetRawText());
        Assert.Null(await resumedEvents.ReadAsync());

        // A client that has the final event is told there is nothing more: EventSource stops reconnecting on 204.
        using var done = await OpenAsync(api, $"/api/jobs/{id}/events", lastEventId: finished.Id);
        Assert.Equal(HttpStatusCode.NoContent, done.StatusCode);
    }

    [Fact]
    public async Task JobEvents_OfAFinishedJob_AreItsFinalEventAlone()
    {
        await using var api = await TestApi.StartAsync();
        using var started = await api.PostAsync("failing", "{}");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();
        await api.WaitUntilFinishedAsync(id);

        using var response = await OpenAsync(api, $"/api/jobs/{id}/events");
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());
        var finished = await events.ReadAsync();
        Assert.Equal("finished", finished?.Name);
        Assert.Equal("Failed", finished!.Data.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(finished.Data.GetProperty("error").GetProperty("title").GetString()));
        Assert.Null(await events.ReadAsync());
    }

    [Fact]
    public async Task JobEvents_OfAnUnknownJob_Are404ProblemDetails()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await OpenAsync(api, $"/api/jobs/{Guid.NewGuid()}/events");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Job not found.", (await TestApi.ReadProblemAsync(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task IdleStream_SendsHeartbeatComments_AtTheConfiguredInterval()
    {
        await using var api = await TestApi.StartAsync(options => options.EventStreamHeartbeatInterval = TimeSpan.FromSeconds(13));
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;

        using var response = await OpenAsync(api, $"/api/jobs/{id}/events");
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());
        await events.ReadAsync();
        await api.Time.WaitForTimerAsync(dueTime => dueTime == TimeSpan.FromSeconds(13));
        api.Time.Advance(TimeSpan.FromSeconds(13));

        await events.ReadCommentAsync();
        Assert.Equal(1, events.Comments);
    }

    [Fact]
    public async Task AClientThatGoesAway_LeavesNoStreamOrWatchBehind()
    {
        await using var api = await TestApi.StartAsync();
        var streams = api.App.Services.GetRequiredService<JobEventStreams>();
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;

        var one = await OpenAsync(api, $"/api/jobs/{id}/events");
        var all = await OpenAsync(api, "/api/jobs/events");
        var reader = new EventStreamReader(await one.Content.ReadAsStreamAsync());
        await reader.ReadAsync();
        Assert.Equal(2, streams.OpenStreams);
        Assert.Equal(1, api.Store.WatchCount);

        reader.Dispose();
        one.Dispose();
        all.Dispose();

        await Eventually.TrueAsync(() => streams.OpenStreams == 0 && api.Store.WatchCount == 0, "Streams of clients that went away must end.");
        api.Gates["g"].Release();
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AllJobEvents_ShowEveryJobOfTheKindAskedFor_WithResults()
    {
        await using var api = await TestApi.StartAsync();
        using var response = await OpenAsync(api, "/api/jobs/events?kind=gated");
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());

        var first = await api.StartGatedAsync("a", value: 1);
        using (await api.PostAsync("failing", "{}"))
        {
        }

        var second = await api.StartGatedAsync("b", value: 5);
        api.Gates["a"].Release();
        api.Gates["b"].Release();

        var finished = new Dictionary<Guid, ServerSentEvent>();
        while (finished.Count < 2 && await events.ReadAsync() is { } next)
        {
            Assert.Equal("gated", next.Data.GetProperty("kind").GetString());
            if (next.Name == "finished")
            {
                finished[next.Data.GetProperty("id").GetGuid()] = next;
            }
        }

        Assert.Equal(2, finished[first].Data.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(10, finished[second].Data.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task AllJobEvents_ResumedWithLastEventId_ReplayJobsThatFinishedMeanwhile_AndTheUnfinished()
    {
        await using var api = await TestApi.StartAsync();
        var running = await api.StartGatedAsync("running");
        var finishing = await api.StartGatedAsync("finishing");
        await api.Gates["finishing"].Started;

        string lastId;
        using (var response = await OpenAsync(api, "/api/jobs/events"))
        using (var events = new EventStreamReader(await response.Content.ReadAsStreamAsync()))
        {
            var late = await api.StartGatedAsync("late");
            ServerSentEvent? seen;
            do
            {
                seen = await events.ReadAsync();
            }
            while (seen!.Data.GetProperty("id").GetGuid() != late);

            lastId = seen.Id!;
        }

        api.Gates["finishing"].Release();
        await api.WaitUntilFinishedAsync(finishing);

        using var resumed = await OpenAsync(api, "/api/jobs/events", lastEventId: lastId);
        using var resumedEvents = new EventStreamReader(await resumed.Content.ReadAsStreamAsync());
        var replayed = new Dictionary<Guid, ServerSentEvent>();
        while (replayed.Count < 3 && await resumedEvents.ReadAsync() is { } next)
        {
            replayed[next.Data.GetProperty("id").GetGuid()] = next;
        }

        Assert.Equal("finished", replayed[finishing].Name);
        Assert.Equal("Succeeded", replayed[finishing].Data.GetProperty("status").GetString());
        Assert.Equal("Running", replayed[running].Data.GetProperty("status").GetString());
        Assert.Equal(3, replayed.Count);
    }

    [Fact]
    public async Task ACallerWithTooManyStreamsOpen_Gets429_UntilOneCloses()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxEventStreamsPerCaller = 2);
        var streams = api.App.Services.GetRequiredService<JobEventStreams>();
        var first = await OpenAsync(api, "/api/jobs/events");
        using var second = await OpenAsync(api, "/api/jobs/events");

        using (var third = await OpenAsync(api, "/api/jobs/events"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("Too many event streams.", (await TestApi.ReadProblemAsync(third)).GetProperty("title").GetString());
            Assert.Equal(TimeSpan.FromSeconds(5), TestApi.RetryAfter(third));
        }

        first.Dispose();
        await Eventually.TrueAsync(() => streams.OpenStreams == 1, "The closed stream ends.");
        using var again = await OpenAsync(api, "/api/jobs/events");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task AClientThatGoesAwayAsTheStreamBegins_FreesItsPlace()
    {
        var abortFirst = 1;
        await using var api = await TestApi.StartAsync(
            options => options.MaxEventStreamsPerCaller = 1,
            configureApp: app => app.Use((HttpContext context, RequestDelegate next) =>
            {
                // The connection drops as the first stream's headers go out, before its first flush completes.
                context.Response.OnStarting(() =>
                {
                    if (Interlocked.Exchange(ref abortFirst, 0) == 1)
                    {
                        context.Abort();
                    }

                    return Task.CompletedTask;
                });
                return next(context);
            }));
        var streams = api.App.Services.GetRequiredService<JobEventStreams>();

        await Assert.ThrowsAnyAsync<Exception>(() => OpenAsync(api, "/api/jobs/events"));

        await Eventually.TrueAsync(() => streams.OpenStreams == 0, "A stream whose client went as it began must end.");
        using var again = await OpenAsync(api, "/api/jobs/events");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task AStream_EndsAfterItsLongestDuration_AndTheClientResumesWhereItWas()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxEventStreamDuration = TimeSpan.FromMinutes(10));
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;
        using var response = await OpenAsync(api, $"/api/jobs/{id}/events");
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());
        var seen = await events.ReadAsync();

        await api.Time.WaitForTimerAsync(TimeSpan.FromMinutes(10));
        api.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Null(await events.ReadAsync());
        api.Gates["g"].Release();
        using var resumed = await OpenAsync(api, $"/api/jobs/{id}/events", lastEventId: seen!.Id);
        using var resumedEvents = new EventStreamReader(await resumed.Content.ReadAsStreamAsync());
        ServerSentEvent? last;
        do
        {
            last = await resumedEvents.ReadAsync();
        }
        while (last is not null && last.Name != "finished");

        Assert.Equal("Succeeded", last?.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AClientThatStopsReading_HoldsUpNoJob()
    {
        await using var api = await TestApi.StartAsync(options => (options.MaxConcurrency, options.MaxQueuedJobs) = (8, 10_000), onKestrel: true);
        var streams = api.App.Services.GetRequiredService<JobEventStreams>();
        var scheduler = api.App.Services.GetRequiredService<IJobScheduler>();

        // A client with a tiny receive window that reads the response headers, then nothing more.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        var server = new Uri(api.App.Urls.First());
        await socket.ConnectAsync(IPAddress.Loopback, server.Port).WithSafetyTimeout();
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /api/jobs/events HTTP/1.1\r\nHost: {server.Authority}\r\nAccept: text/event-stream\r\n\r\n"));
        var headers = new byte[256];
        Assert.True(await socket.ReceiveAsync(headers).WithSafetyTimeout() > 0);
        Assert.Equal(1, streams.OpenStreams);

        // Thousands of events (megabytes) for a client that takes none: far more than the socket buffers hold.
        var jobs = await Task.WhenAll(Enumerable.Range(0, 3000).Select(i =>
            scheduler.StartAsync("quick", async (context, cancellationToken) =>
            {
                await context.ReportProgressAsync(0.5, new string('x', 200), cancellationToken);
                return i;
            })));

        var results = await Task.WhenAll(jobs.Select(job => job.Task)).WithSafetyTimeout();
        Assert.Equal(Enumerable.Range(0, 3000), results);
        Assert.Equal(1, streams.OpenStreams);

        socket.Close();
        await Eventually.TrueAsync(() => streams.OpenStreams == 0, "The stream of a client that went away must end.");
    }

    private static Task<HttpResponseMessage> OpenAsync(TestApi api, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        request.Headers.Accept.ParseAdd(JobEventStreams.EventStreamMediaType);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return api.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithSafetyTimeout();
    }
}
