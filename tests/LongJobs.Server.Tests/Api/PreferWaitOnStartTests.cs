using System.Net;
using System.Net.Http.Headers;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// POST /api/jobs/{kind} with <c>Prefer: wait=N</c> (RFC 7240): 200 with the final typed state when the job finishes
/// within the wait, else 202 as without it. Time is fake: the wait ends only because the job finished or the test
/// advanced time.
/// </summary>
public sealed class PreferWaitOnStartTests
{
    [Fact]
    public async Task Start_WithPreferWait_WhenTheJobFinishesInTime_Returns200WithTheFinalTypedState()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["quick"].Release();

        using var response = await PostAsync(api, """{"gateKey":"quick","value":21}""", "wait=10");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        var id = state.GetProperty("id").GetGuid();
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(42, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(id, state.GetProperty("result").GetProperty("jobId").GetGuid());
        Assert.Equal($"/api/jobs/{id}", state.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal($"/api/jobs/{id}", response.Content.Headers.ContentLocation?.OriginalString);
        Assert.Equal(new EntityTagHeaderValue($"\"{(await api.Store.GetAsync(id))!.Version}\""), response.Headers.ETag);
        Assert.Equal("wait=10", TestApi.Header(response, "Preference-Applied"));
        Assert.Null(TestApi.RetryAfter(response));
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithPreferWait_WhenTheJobIsUnfinishedAtTheEnd_Returns202WithPreferenceApplied()
    {
        await using var api = await TestApi.StartAsync();

        var request = PostAsync(api, """{"gateKey":"slow"}""", "wait=5");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        await api.Gates["slow"].Started;
        api.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(request.IsCompleted);
        api.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await request;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var info = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Running", info.GetProperty("status").GetString());
        Assert.False(info.TryGetProperty("result", out _));
        Assert.Equal(info.GetProperty("statusUrl").GetString(), response.Headers.Location?.OriginalString);
        Assert.Equal("wait=5", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Start_WithPreferWait_WhenTheJobFails_Returns200WithTheFailure()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostAsync(api, """{"code":1}""", "wait=10", kind: "failing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Failed", state.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, state.GetProperty("error").ValueKind);
    }

    [Theory]
    [InlineData("respond-async, wait=10")]
    [InlineData("wait=10; foo=bar")]
    [InlineData("handling=lenient,wait=10")]
    public async Task Start_WithPreferWaitAmongOtherPreferences_Waits(string prefer)
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["quick"].Release();

        using var response = await PostAsync(api, """{"gateKey":"quick"}""", prefer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=10", TestApi.Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task Start_WithPreferWaitOverTheCap_WaitsSixtySeconds()
    {
        await using var api = await TestApi.StartAsync();

        var request = PostAsync(api, """{"gateKey":"slow"}""", "wait=600");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        api.Time.Advance(TimeSpan.FromSeconds(60));
        using var response = await request;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("wait=60", TestApi.Header(response, "Preference-Applied"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wait=0")]
    [InlineData("respond-async")]
    public async Task Start_WithoutAWait_Returns202AtOnce(string? prefer)
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostAsync(api, """{"gateKey":"slow"}""", prefer);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task Start_WithPreferWait_RepeatedWithTheSameIdempotencyKey_AnswersWithTheSameFinishedJob()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["quick"].Release();
        using var first = await PostAsync(api, """{"gateKey":"quick","value":3}""", "wait=10", idempotencyKey: "order-7");

        using var repeated = await PostAsync(api, """{"gateKey":"quick","value":3}""", "wait=10", idempotencyKey: "order-7");
        using var withoutWait = await PostAsync(api, """{"gateKey":"quick","value":3}""", prefer: null, idempotencyKey: "order-7");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        var id = (await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid();
        var state = await TestApi.ReadJsonAsync(repeated);
        Assert.Equal(id, state.GetProperty("id").GetGuid());
        Assert.Equal(6, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(first.Headers.ETag, repeated.Headers.ETag);
        Assert.Equal(HttpStatusCode.Accepted, withoutWait.StatusCode);
        Assert.Equal(id, (await TestApi.ReadJsonAsync(withoutWait)).GetProperty("id").GetGuid());
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithPreferWait_RepeatedWhileTheJobRuns_WaitsForTheSameJob()
    {
        await using var api = await TestApi.StartAsync();
        using var first = await PostAsync(api, """{"gateKey":"a"}""", prefer: null, idempotencyKey: "order-8");
        await api.Gates["a"].Started;

        var repeated = PostAsync(api, """{"gateKey":"a"}""", "wait=20", idempotencyKey: "order-8");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(20));
        api.Gates["a"].Release();
        using var response = await repeated;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid(), (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid());
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithPreferWait_BeyondTheCallersOpenLongPolls_Returns202AtOnce()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxLongPollsPerCaller = 1);
        var waiting = PostAsync(api, """{"gateKey":"a"}""", "wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));

        using var refused = await PostAsync(api, """{"gateKey":"b"}""", "wait=30");

        Assert.Equal(HttpStatusCode.Accepted, refused.StatusCode);
        Assert.Null(TestApi.Header(refused, "Preference-Applied"));
        api.Gates["a"].Release();
        using var answered = await waiting;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(TestApi api, string json, string? prefer, string? idempotencyKey = null, string kind = "gated")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/jobs/{kind}", UriKind.Relative)) { Content = TestApi.Json(json) };
        if (prefer is not null)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Prefer", prefer));
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await api.Client.SendAsync(request).WithSafetyTimeout();
    }
}
