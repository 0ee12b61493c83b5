using System.Net;
using System.Text;
using System.Text.Json;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{kind}/batch: many jobs of one kind in one request, each item answered on its own.</summary>
public sealed class StartBatchTests
{
    [Fact]
    public async Task Batch_OfValidItems_Returns200WithEachItemsJobInOrder_AndQueuesThemAll()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostBatchAsync(api, """[{"request":{"gateKey":"a","value":1}},{"request":{"gateKey":"b","value":2}},{"request":{"gateKey":"c","value":3}}]""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        var ids = new List<Guid>();
        foreach (var item in items)
        {
            Assert.Equal(202, item.GetProperty("status").GetInt32());
            var job = item.GetProperty("job");
            var id = job.GetProperty("id").GetGuid();
            Assert.Equal("gated", job.GetProperty("kind").GetString());
            Assert.Equal($"/api/jobs/{id}", job.GetProperty("statusUrl").GetString());
            Assert.False(item.TryGetProperty("problem", out var problem) && problem.ValueKind != JsonValueKind.Null);
            ids.Add(id);
        }

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(3, api.Store.Count);
        foreach (var gate in (string[])["a", "b", "c"])
        {
            api.Gates[gate].Release();
        }

        var finished = await Task.WhenAll(ids.Select(api.WaitUntilFinishedAsync));
        Assert.Equal([2, 4, 6], finished.Select(state => state.GetProperty("result").GetProperty("doubledValue").GetInt32()));
    }

    [Fact]
    public async Task Batch_WithInvalidItems_AnswersEachWithItsProblem_AndStartsTheValidOnes()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostBatchAsync(api, """
            [
              {"request":{"gateKey":"a"}},
              {"request":{"gateKey":"b","value":5000}},
              {"request":{"gateKey":"c","value":"three"}},
              {"request":{"gateKey":"d"},"idempotencyKey":"has space"},
              {"request":{"gateKey":"e"},"callbackUrl":"https://example.com/hook"},
              {"request":null},
              {"idempotencyKey":"k"},
              42,
              {"request":{"gateKey":"f"}}
            ]
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([202, 400, 400, 400, 400, 400, 400, 400, 202], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.Equal(["request.value"], ErrorNames(items[1]));
        Assert.Equal(["$.request.value"], ErrorNames(items[2]));
        Assert.Equal(["idempotencyKey"], ErrorNames(items[3]));
        Assert.Equal(["callbackUrl"], ErrorNames(items[4]));
        Assert.Equal(["request"], ErrorNames(items[5]));
        Assert.Contains("'request'", items[6].GetProperty("problem").GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(["$"], ErrorNames(items[7]));
        Assert.Equal(2, api.Store.Count);

        static string[] ErrorNames(JsonElement item)
        {
            var problem = item.GetProperty("problem");
            Assert.Equal(400, problem.GetProperty("status").GetInt32());
            Assert.False(item.TryGetProperty("job", out var job) && job.ValueKind != JsonValueKind.Null);
            return [.. problem.GetProperty("errors").EnumerateObject().Select(error => error.Name)];
        }
    }

    [Fact]
    public async Task Batch_WithMoreThan1000Items_Returns413Problem_AndStartsNothing()
    {
        await using var api = await TestApi.StartAsync();
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"request":{"gateKey":"a"}}""", 1001)) + "]";

        using var response = await PostBatchAsync(api, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1000", (await TestApi.ReadProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task Batch_LargerThanMaxRequestBodySize_Returns413Problem()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxRequestBodySize = 100);
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"request":{"gateKey":"a"}}""", 10)) + "]";

        using var response = await PostBatchAsync(api, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.Equal(0, api.Store.Count);
    }

    [Theory]
    [InlineData("""{"request":{"gateKey":"a"}}""")]
    [InlineData("""[{"request":{"gateKey":"a"}}""")]
    [InlineData("null")]
    [InlineData("")]
    public async Task Batch_WhoseBodyIsNotAJsonArray_Returns400Problem(string body)
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostBatchAsync(api, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApi.ReadProblemAsync(response)).TryGetProperty("errors", out _));
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task Batch_WithAnIdempotencyKeyRepeatedInTheBatch_AnswersRepeatsWithTheFirstJob_And422ForAnotherRequest()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostBatchAsync(api, """
            [
              {"request":{"gateKey":"a","value":1},"idempotencyKey":"k"},
              {"request":{"value":1,"gateKey":"a"},"idempotencyKey":"k"},
              {"request":{"gateKey":"a","value":2},"idempotencyKey":"k"}
            ]
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([202, 202, 422], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.Equal(items[0].GetProperty("job").GetProperty("id").GetGuid(), items[1].GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal("Idempotency-Key reused.", items[2].GetProperty("problem").GetProperty("title").GetString());
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Batch_WithTheIdempotencyKeyOfAnExistingJob_AnswersWithThatJob()
    {
        await using var api = await TestApi.StartAsync();
        var existing = await api.StartGatedAsync("a", value: 1, header: ("Idempotency-Key", "k"));

        using var response = await PostBatchAsync(api, """[{"request":{"gateKey":"a","value":1},"idempotencyKey":"k"},{"request":{"gateKey":"b"},"idempotencyKey":"other"}]""");

        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([202, 202], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.Equal(existing, items[0].GetProperty("job").GetProperty("id").GetGuid());
        Assert.NotEqual(existing, items[1].GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(2, api.Store.Count);
    }

    [Fact]
    public async Task Batch_WhenTheQueueHasNoRoomForAllItems_Returns429WithRetryAfter_AndStartsNone()
    {
        await using var api = await TestApi.StartAsync(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
        });

        using var response = await PostBatchAsync(api, """[{"request":{"gateKey":"a"}},{"request":{"gateKey":"b"}},{"request":{"gateKey":"c"}}]""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.NotNull(TestApi.RetryAfter(response));
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task Batch_OfAnUnknownKind_Returns404Problem()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostBatchAsync(api, """[{"request":{"gateKey":"a"}}]""", kind: "nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
    }

    [Fact]
    public async Task Batch_NotSentAsJson_Returns415Problem()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.Client.PostAsync(
            new Uri("/api/jobs/gated/batch", UriKind.Relative),
            new StringContent("""[{"request":{"gateKey":"a"}}]""", Encoding.UTF8, "text/plain")).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task Batch_FromAUser_StartsJobsTheyOwn_AndTheirKeysAreTheirOwn()
    {
        await using var api = await TestApi.StartAsync(addServices: HeaderAuthenticationHandler.Add);
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        const string Body = """[{"request":{"gateKey":"a"},"idempotencyKey":"k"}]""";

        using var fromAlice = await alice.PostAsync(new Uri("/api/jobs/gated/batch", UriKind.Relative), TestApi.Json(Body)).WithSafetyTimeout();
        using var fromBob = await bob.PostAsync(new Uri("/api/jobs/gated/batch", UriKind.Relative), TestApi.Json(Body)).WithSafetyTimeout();

        var aliceJob = (await TestApi.ReadJsonAsync(fromAlice)).GetProperty("items")[0].GetProperty("job").GetProperty("id").GetGuid();
        var bobJob = (await TestApi.ReadJsonAsync(fromBob)).GetProperty("items")[0].GetProperty("job").GetProperty("id").GetGuid();
        Assert.NotEqual(aliceJob, bobJob);
        Assert.Equal("alice", (await api.Store.GetAsync(aliceJob))?.Owner);
        Assert.Equal("bob", (await api.Store.GetAsync(bobJob))?.Owner);
    }

    [Fact]
    public async Task Batch_WithCallbackUrls_KeepsEachAllowedOnesNotification_AndRefusesTheOthersItems()
    {
        await using var api = await WebhookTestApi.StartAsync(options =>
        {
            options.AllowedHosts.Clear();
            options.AllowedHosts.Add("hooks.example.com");
        });

        using var response = await api.Client.PostAsync(
            new Uri("/api/jobs/gated/batch", UriKind.Relative),
            TestApi.Json("""[{"request":{"gateKey":"a"},"callbackUrl":"https://hooks.example.com/one"},{"request":{"gateKey":"b"},"callbackUrl":"https://evil.example.com/two"}]""")).WithSafetyTimeout();

        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items");
        Assert.Equal(202, items[0].GetProperty("status").GetInt32());
        Assert.Equal(400, items[1].GetProperty("status").GetInt32());
        Assert.Contains("evil.example.com", items[1].GetProperty("problem").GetProperty("errors").GetProperty("callbackUrl")[0].GetString(), StringComparison.Ordinal);
        var stored = await api.Store.GetAsync(items[0].GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal("https://hooks.example.com/one", stored?.Notifications?.CallbackUrl);
    }

    private static Task<HttpResponseMessage> PostBatchAsync(TestApi api, string json, string kind = "gated") =>
        api.Client.PostAsync(new Uri($"/api/jobs/{kind}/batch", UriKind.Relative), TestApi.Json(json)).WithSafetyTimeout();
}
