using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{kind} and /{kind}/batch for a kind whose jobs are unique by a key of their request.</summary>
public sealed class UniqueJobsTests
{
    private const string Administrators = "job-admins";

    [Fact]
    public async Task AStartWhileAJobWithItsKeyIsUnfinished_Answers200WithThatJobsTypedState_AndSaysItWasDeduplicated()
    {
        await using var api = await StartAsync();
        using var first = await api.PostAsync("unique", """{"gateKey":"first","value":4}""");
        var id = (await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid();

        using var second = await api.PostAsync("unique", """{"gateKey":"second","value":4}""");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Null(TestApi.Header(first, "LongJobs-Deduplicated"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("true", TestApi.Header(second, "LongJobs-Deduplicated"));
        Assert.Equal($"/api/jobs/{id}", second.Headers.Location?.OriginalString);
        Assert.NotNull(second.Headers.ETag);
        var state = await TestApi.ReadJsonAsync(second);
        Assert.Equal(id, state.GetProperty("id").GetGuid());
        Assert.Equal("unique", state.GetProperty("kind").GetString());
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task ADeduplicatedStartWithPreferWait_AnswersTheJobsFinalStateWhenItFinishesInTime()
    {
        await using var api = await StartAsync();
        using var first = await api.PostAsync("unique", """{"gateKey":"first","value":4}""");
        await api.Gates["first"].Started;

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/unique", UriKind.Relative)) { Content = TestApi.Json("""{"gateKey":"second","value":4}""") };
        request.Headers.Add("Prefer", "wait=30");
        var waiting = api.Client.SendAsync(request);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        api.Gates["first"].Release();
        using var response = await waiting.WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", TestApi.Header(response, "LongJobs-Deduplicated"));
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal("first", state.GetProperty("result").GetProperty("gateKey").GetString());
    }

    [Fact]
    public async Task OnceTheJobHasFinished_AStartWithItsKeyStartsANewJob()
    {
        await using var api = await StartAsync();
        using var first = await api.PostAsync("unique", """{"gateKey":"first","value":4}""");
        var id = (await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid();
        api.Gates["first"].Release();
        await api.WaitUntilFinishedAsync(id);

        using var again = await api.PostAsync("unique", """{"gateKey":"again","value":4}""");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.NotEqual(id, (await TestApi.ReadJsonAsync(again)).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AStartWhoseKeyAnotherCallersJobHolds_Is409WithoutThatJob_ButAnAdministratorGetsIt()
    {
        await using var api = await StartAsync(withOwners: true);
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        using var admin = api.ClientFor("carol", Administrators);
        using var started = await alice.PostAsync(new Uri("/api/jobs/unique", UriKind.Relative), TestApi.Json("""{"gateKey":"a","value":4}"""));
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();

        using var refused = await bob.PostAsync(new Uri("/api/jobs/unique", UriKind.Relative), TestApi.Json("""{"gateKey":"b","value":4}"""));
        using var shown = await admin.PostAsync(new Uri("/api/jobs/unique", UriKind.Relative), TestApi.Json("""{"gateKey":"c","value":4}"""));
        using var again = await alice.PostAsync(new Uri("/api/jobs/unique", UriKind.Relative), TestApi.Json("""{"gateKey":"d","value":4}"""));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(TestApi.ProblemJson, refused.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(id.ToString(), await refused.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Equal(id, (await TestApi.ReadJsonAsync(shown)).GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task AnIdempotencyKeyRepeat_StillAnswers202_EvenThoughItsUniqueKeyIsHeld()
    {
        await using var api = await StartAsync();

        using var first = await api.PostAsync("unique", """{"gateKey":"a","value":4}""", ("Idempotency-Key", "k-1"));
        using var repeat = await api.PostAsync("unique", """{"gateKey":"a","value":4}""", ("Idempotency-Key", "k-1"));
        using var otherBody = await api.PostAsync("unique", """{"gateKey":"b","value":4}""", ("Idempotency-Key", "k-1"));

        Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
        Assert.Null(TestApi.Header(repeat, "LongJobs-Deduplicated"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.StatusCode);
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task ABatch_AnswersAnItemWhoseKeyIsHeld_EarlierInTheBatchOrInTheStore_With200AndDeduplicated()
    {
        await using var api = await StartAsync();
        using var stored = await api.PostAsync("unique", """{"gateKey":"s","value":1}""");
        var storedId = (await TestApi.ReadJsonAsync(stored)).GetProperty("id").GetGuid();

        using var response = await api.Client.PostAsync(
            new Uri("/api/jobs/unique/batch", UriKind.Relative),
            TestApi.Json("""[{"request":{"gateKey":"a","value":1}},{"request":{"gateKey":"b","value":2}},{"request":{"gateKey":"c","value":2}},{"request":{"gateKey":"d","value":0}}]"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([200, 202, 200, 202], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.Equal([true, false, true, false], items.Select(item => item.GetProperty("deduplicated").GetBoolean()));
        Assert.Equal(storedId, items[0].GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(items[1].GetProperty("job").GetProperty("id").GetGuid(), items[2].GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(3, api.Store.Count);
    }

    [Fact]
    public async Task ARequestWhoseKeyCannotBeComputed_Is400_ForASingleStartAndForABatchItem_AndTheServerGoesOn()
    {
        var logs = new RecordedLogs();
        await using var api = await StartAsync(logs: logs);

        using var single = await api.PostAsync("unique", """{"gateKey":"boom","value":13}""");
        using var batch = await api.Client.PostAsync(
            new Uri("/api/jobs/unique/batch", UriKind.Relative),
            TestApi.Json("""[{"request":{"gateKey":"boom","value":13}},{"request":{"gateKey":"fine","value":14}}]"""));
        using var after = await api.PostAsync("unique", """{"gateKey":"after","value":15}""");

        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        var problem = await TestApi.ReadProblemAsync(single);
        Assert.Contains("could not be computed", problem.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        var items = (await TestApi.ReadJsonAsync(batch)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([400, 202], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.True(items[0].GetProperty("problem").GetProperty("errors").TryGetProperty("request", out _));
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
        Assert.Contains(logs.Entries, entry => entry.Exception is InvalidOperationException && entry.Message.Contains("unique", StringComparison.Ordinal));
        Assert.Equal(2, api.Store.Count);
    }

    /// <summary>An API with a gated kind "unique" keyed by its value ("customer-{value}"; 0: no key; 13: the key function throws).</summary>
    private static Task<TestApi> StartAsync(bool withOwners = false, RecordedLogs? logs = null) => TestApi.StartAsync(
        configure: options => options.AdministratorRole = withOwners ? Administrators : null,
        addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("unique", kind => kind.UniqueBy<GatedRequest>(request => request.Value switch
        {
            0 => null,
            13 => throw new InvalidOperationException("Unlucky."),
            var value => $"customer-{value}",
        })),
        logs: logs,
        addServices: withOwners ? HeaderAuthenticationHandler.Add : null);
}
