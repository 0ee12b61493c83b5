using System.Net;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// GET /api/jobs/{id}?wait=N and <c>Prefer: wait=N</c>. Time is fake: a wait can end only because the job
/// finished or because the test advanced time, never because a real clock ran.
/// </summary>
public sealed class LongPollTests
{
    [Fact]
    public async Task Wait_WhenTheJobFinishesDuringTheWait_AnswersAtOnceWithTheFinishedState()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a", value: 5);
        await api.Gates["a"].Started;

        var request = api.GetAsync($"/api/jobs/{id}?wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        Assert.False(request.IsCompleted);
        api.Gates["a"].Release();
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=30", TestApi.Header(response, "Preference-Applied"));
        Assert.Null(TestApi.RetryAfter(response));
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(10, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Wait_BeyondTheCallersOpenLongPolls_AnswersAtOnceWithoutWaiting_UntilOneEnds()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxLongPollsPerCaller = 1);
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;
        var waiting = api.GetAsync($"/api/jobs/{id}?wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));

        using (var refused = await api.GetAsync($"/api/jobs/{id}?wait=30"))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Null(TestApi.Header(refused, "Preference-Applied"));
            Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(refused));
            Assert.Equal("Running", (await TestApi.ReadJsonAsync(refused)).GetProperty("status").GetString());
        }

        api.Gates["a"].Release();
        using var answered = await waiting;
        Assert.Equal("wait=30", TestApi.Header(answered, "Preference-Applied"));
        var next = await api.StartGatedAsync("b");
        var again = api.GetAsync($"/api/jobs/{next}?wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30), count: 2);
        Assert.False(again.IsCompleted);
        api.Gates["b"].Release();
        using var second = await again;
        Assert.Equal("wait=30", TestApi.Header(second, "Preference-Applied"));
    }

    [Fact]
    public async Task Wait_OnTheTypedRoute_AnswersWithTheTypedResult()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a", value: 7);

        var request = api.GetAsync($"/api/jobs/gated/{id}?wait=20");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(20));
        api.Gates["a"].Release();
        using var response = await request;

        Assert.Equal("wait=20", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal(14, (await TestApi.ReadJsonAsync(response)).GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Wait_WhenTheWaitRunsOut_AnswersWithTheUnfinishedStateAndRetryAfter()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        var request = api.GetAsync($"/api/jobs/{id}?wait=5");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        api.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(request.IsCompleted);
        api.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=5", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        Assert.Equal("Running", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Wait_OverTheCap_WaitsSixtySeconds()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");

        var request = api.GetAsync($"/api/jobs/{id}?wait=600");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        api.Time.Advance(TimeSpan.FromSeconds(60));
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=60", TestApi.Header(response, "Preference-Applied"));
        Assert.NotNull(TestApi.RetryAfter(response));
    }

    [Fact]
    public async Task PreferWaitHeader_WaitsLikeTheQueryParameter()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/jobs/{id}", UriKind.Relative));
        message.Headers.Add("Prefer", "respond-async, wait=7");

        var request = api.Client.SendAsync(message).WithSafetyTimeout();
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        api.Gates["a"].Release();
        using var response = await request;

        Assert.Equal("wait=7", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal("Succeeded", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Wait_WhenTheHostStops_AnswersWithTheUnfinishedStateAndRetryAfterButNoPreferenceApplied()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        var request = api.GetAsync($"/api/jobs/{id}?wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        Assert.False(request.IsCompleted);
        api.App.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Running", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
        Assert.NotNull(TestApi.RetryAfter(response));
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task Wait_ForAJobAlreadyFinished_AnswersAtOnceWithoutPreferenceApplied()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/{id}?wait=30");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task Wait_WhenTheJobIsCanceled_AnswersWithTheCanceledState()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        var request = api.GetAsync($"/api/jobs/{id}?wait=30");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        using var cancel = await api.CancelAsync(id);
        using var response = await request;

        Assert.Equal("Canceled", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/api/jobs/{0}?wait=-1")]
    [InlineData("/api/jobs/gated/{0}?wait=-5")]
    public async Task Wait_Negative_Returns400Problem(string route)
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");

        using var response = await api.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, id));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty("wait", out _));
    }
}
