using System.Net;
using System.Text.Json;
using LongJobs.Server.Api;
using LongJobs.Server.Security;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Security;

/// <summary>
/// With authentication configured, a job belongs to the user who started it: others get the 404 of an unknown job on
/// every route and never see it listed or streamed; an administrator sees and cancels every job.
/// </summary>
public sealed class JobOwnershipTests
{
    private const string Administrators = "jobs-admin";

    [Theory]
    [InlineData("bob")]
    [InlineData(null)]
    public async Task AnotherCaller_GetsTheUnknownJob404_OnEveryRouteOfAUsersJob_AndCancelsNothing(string? other)
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        using var stranger = api.ClientFor(other);
        var id = await StartGatedAsync(alice, "g");
        await api.Gates["g"].Started;
        var unknown = Guid.CreateVersion7();
        using var unknownResponse = await stranger.GetAsync(new Uri($"/api/jobs/{unknown}", UriKind.Relative)).WithSafetyTimeout();
        var unknownProblem = await TestApi.ReadProblemAsync(unknownResponse);

        foreach (var (method, url) in new[]
        {
            (HttpMethod.Get, $"/api/jobs/{id}"),
            (HttpMethod.Get, $"/api/jobs/{id}?wait=30"),
            (HttpMethod.Get, $"/api/jobs/gated/{id}"),
            (HttpMethod.Get, $"/api/jobs/gated/{id}?wait=30"),
            (HttpMethod.Get, $"/api/jobs/{id}/events"),
            (HttpMethod.Get, $"/api/jobs/{id}/history"),
            (HttpMethod.Post, $"/api/jobs/{id}/cancel"),
            (HttpMethod.Delete, $"/api/jobs/{id}"),
        })
        {
            using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative));
            using var response = await stranger.SendAsync(request).WithSafetyTimeout();

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var problem = await TestApi.ReadProblemAsync(response);
            Assert.Equal(unknownProblem.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
            Assert.Equal(unknownProblem.GetProperty("detail").GetString()!.Replace(unknown.ToString(), id.ToString(), StringComparison.Ordinal), problem.GetProperty("detail").GetString());
            Assert.Null(TestApi.Header(response, "Preference-Applied"));
        }

        using var owners = await alice.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal("Running", (await TestApi.ReadJsonAsync(owners)).GetProperty("status").GetString());
        Assert.False((await api.Store.GetAsync(id))!.CancellationRequested);
        api.Gates["g"].Release();
        Assert.Equal("Succeeded", (await WaitUntilFinishedAsync(alice, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheOwner_ReadsAwaitsStreamsAndCancelsTheirJob()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        var id = await StartGatedAsync(alice, "g");
        await api.Gates["g"].Started;

        using var typed = await alice.GetAsync(new Uri($"/api/jobs/gated/{id}", UriKind.Relative)).WithSafetyTimeout();
        using var events = await OpenEventsAsync(alice, $"/api/jobs/{id}/events");
        using var reader = new EventStreamReader(await events.Content.ReadAsStreamAsync());
        var first = await reader.ReadAsync();
        using var cancel = await api.CancelAsync(id, alice);
        using var waited = await alice.GetAsync(new Uri($"/api/jobs/{id}?wait=30", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.OK, typed.StatusCode);
        Assert.Equal(id, first?.Data.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Canceled", (await TestApi.ReadJsonAsync(waited)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task List_ShowsEachCallerOnlyTheirJobs_AndAnAdministratorEveryJob()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        using var anonymous = api.ClientFor(null);
        using var admin = api.ClientFor("carol", Administrators);
        var alices = new Guid[2];
        alices[0] = await StartGatedAsync(alice, "a1");
        api.Time.Advance(TimeSpan.FromSeconds(1));
        alices[1] = await StartGatedAsync(alice, "a2");
        api.Time.Advance(TimeSpan.FromSeconds(1));
        var bobs = await StartGatedAsync(bob, "b");
        api.Time.Advance(TimeSpan.FromSeconds(1));
        var nobodys = await StartGatedAsync(anonymous, "n");

        var alicesList = await ListAsync(alice, "/api/jobs");
        var bobsList = await ListAsync(bob, "/api/jobs?kind=gated");
        var anonymousList = await ListAsync(anonymous, "/api/jobs");
        var adminsList = await ListAsync(admin, "/api/jobs");
        var alicesFirstPage = await ListAsync(alice, "/api/jobs?pageSize=1");

        Assert.Equal(new[] { alices[1], alices[0] }, alicesList);
        Assert.Equal(new[] { bobs }, bobsList);
        Assert.Equal(new[] { nobodys }, anonymousList);
        Assert.Equal(new[] { nobodys, bobs, alices[1], alices[0] }, adminsList);
        Assert.Equal(new[] { alices[1] }, alicesFirstPage);
    }

    [Fact]
    public async Task AllJobEvents_ShowOnlyTheCallersJobs_LiveAndWhenResumed()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        var alicesEarlier = await StartGatedAsync(alice, "a0");
        using var response = await OpenEventsAsync(bob, "/api/jobs/events");
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync());

        var alices = await StartGatedAsync(alice, "a");
        api.Gates["a"].Release();
        await WaitUntilFinishedAsync(alice, alices);
        var bobs = await StartGatedAsync(bob, "b");
        api.Gates["b"].Release();
        var seen = await ReadUntilFinishedAsync(events, bobs);

        // Resumed: the stream replays the unfinished jobs, then those finished since (bob's only), then goes on live;
        // a job bob starts once the replay is over comes last.
        using var resumed = await OpenEventsAsync(bob, "/api/jobs/events", lastEventId: "0");
        using var resumedEvents = new EventStreamReader(await resumed.Content.ReadAsStreamAsync());
        var replayed = await ReadUntilFinishedAsync(resumedEvents, bobs);
        var bobsLater = await StartGatedAsync(bob, "b2");
        var live = await ReadUntilAsync(resumedEvents, bobsLater);

        Assert.All(seen.Concat(replayed).Concat(live), e => Assert.Contains(e.Data.GetProperty("id").GetGuid(), new[] { bobs, bobsLater }));
        Assert.DoesNotContain(replayed, e => e.Data.GetProperty("id").GetGuid() == alicesEarlier);
    }

    [Fact]
    public async Task AnAdministrator_SeesStreamsAndCancelsAnyUsersJob()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        using var admin = api.ClientFor("carol", Administrators);
        using var notAdmin = api.ClientFor("dave", "other-role");
        var id = await StartGatedAsync(alice, "g");
        await api.Gates["g"].Started;

        using var read = await admin.GetAsync(new Uri($"/api/jobs/gated/{id}", UriKind.Relative)).WithSafetyTimeout();
        using var events = await OpenEventsAsync(admin, $"/api/jobs/{id}/events");
        using var refused = await api.CancelAsync(id, notAdmin);
        using var cancel = await api.CancelAsync(id, admin);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Canceled", (await WaitUntilFinishedAsync(admin, id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AJobStartedAnonymously_HasNoOwner_AndAnyoneWithItsIdReadsIt()
    {
        await using var api = await StartAsync();
        using var anonymous = api.ClientFor(null);
        using var alice = api.ClientFor("alice");
        var id = await StartGatedAsync(anonymous, "g");

        using var read = await alice.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();

        Assert.Null((await api.Store.GetAsync(id))!.Owner);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Empty(await ListAsync(alice, "/api/jobs"));
    }

    [Fact]
    public async Task Start_RecordsTheUserAsTheJobsOwner()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");

        var id = await StartGatedAsync(alice, "g");

        Assert.Equal("alice", (await api.Store.GetAsync(id))!.Owner);
    }

    [Fact]
    public async Task AnIdempotencyKey_IsTheCallersOwn_AnotherUsersKeyNeitherRevealsNorBlocksTheirJob()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        const string Key = "shared-key";

        var alices = await StartGatedAsync(alice, "a", idempotencyKey: Key);
        var bobsWithAnotherBody = await StartGatedAsync(bob, "b", idempotencyKey: Key);
        var alicesAgain = await StartGatedAsync(alice, "a", idempotencyKey: Key);
        var bobsAgain = await StartGatedAsync(bob, "b", idempotencyKey: Key);

        Assert.NotEqual(alices, bobsWithAnotherBody);
        Assert.Equal(alices, alicesAgain);
        Assert.Equal(bobsWithAnotherBody, bobsAgain);
        Assert.Equal(2, api.Store.Count);
    }

    [Fact]
    public async Task RequireAuthorizationOnTheGroup_Answers401ToAnonymousCalls_AndServesUsers()
    {
        await using var api = await StartAsync(configureJobsApi: group => group.RequireAuthorization());
        using var anonymous = api.ClientFor(null);
        using var alice = api.ClientFor("alice");

        using var anonymousList = await anonymous.GetAsync(new Uri("/api/jobs", UriKind.Relative)).WithSafetyTimeout();
        using var anonymousStart = await anonymous.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), TestApi.Json("""{"gateKey":"g"}""")).WithSafetyTimeout();
        using var aliceList = await alice.GetAsync(new Uri("/api/jobs", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousStart.StatusCode);
        Assert.Equal(HttpStatusCode.OK, aliceList.StatusCode);
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task AnAppsOwnResolver_ReplacesTheDefault()
    {
        // Owners by team: teammates share their jobs.
        await using var api = await StartAsync(services => services.AddSingleton<IJobOwnerResolver>(new TeamResolver()));
        using var alice = api.ClientFor("alice@red");
        using var ann = api.ClientFor("ann@red");
        using var bob = api.ClientFor("bob@blue");
        var id = await StartGatedAsync(alice, "g");

        using var teammate = await ann.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();
        using var other = await bob.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal("red", (await api.Store.GetAsync(id))!.Owner);
        Assert.Equal(HttpStatusCode.OK, teammate.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    private sealed class TeamResolver : IJobOwnerResolver
    {
        public string? GetOwner(HttpContext context) => context.User.Identity?.Name?.Split('@') is [_, var team] ? team : null;
    }

    private static Task<TestApi> StartAsync(Action<IServiceCollection>? addServices = null, Action<RouteGroupBuilder>? configureJobsApi = null) =>
        TestApi.StartAsync(
            options => options.AdministratorRole = Administrators,
            addServices: services =>
            {
                HeaderAuthenticationHandler.Add(services);
                addServices?.Invoke(services);
            },
            configureJobsApi: configureJobsApi);

    private static async Task<Guid> StartGatedAsync(HttpClient client, string gateKey, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/gated", UriKind.Relative)) { Content = TestApi.Json($$"""{"gateKey":"{{gateKey}}"}""") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>Long-polls the job as <paramref name="client"/>'s user until it has finished.</summary>
    private static async Task<JsonElement> WaitUntilFinishedAsync(HttpClient client, Guid id)
    {
        using var response = await client.GetAsync(new Uri($"/api/jobs/{id}?wait=60", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestApi.ReadJsonAsync(response);
    }

    private static async Task<Guid[]> ListAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
    }

    private static Task<HttpResponseMessage> OpenEventsAsync(HttpClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        request.Headers.Accept.ParseAdd(JobEventStreams.EventStreamMediaType);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithSafetyTimeout();
    }

    /// <summary>Reads events until <paramref name="id"/>'s final one.</summary>
    private static async Task<List<ServerSentEvent>> ReadUntilFinishedAsync(EventStreamReader events, Guid id)
    {
        var seen = new List<ServerSentEvent>();
        while (await events.ReadAsync() is { } next)
        {
            seen.Add(next);
            if (next.Name == "finished" && next.Data.GetProperty("id").GetGuid() == id)
            {
                return seen;
            }
        }

        throw new InvalidOperationException($"The stream ended before job {id} finished.");
    }

    /// <summary>Reads events until the first of <paramref name="id"/>.</summary>
    private static async Task<List<ServerSentEvent>> ReadUntilAsync(EventStreamReader events, Guid id)
    {
        var seen = new List<ServerSentEvent>();
        while (await events.ReadAsync() is { } next)
        {
            seen.Add(next);
            if (next.Data.GetProperty("id").GetGuid() == id)
            {
                return seen;
            }
        }

        throw new InvalidOperationException($"The stream ended before an event of job {id}.");
    }
}
