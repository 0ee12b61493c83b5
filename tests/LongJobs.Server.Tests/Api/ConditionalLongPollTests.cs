using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using LongJobs.Server.Execution;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// ETags and <c>If-None-Match</c> on GET /api/jobs/{id} and GET /api/jobs/{kind}/{id}: 304 while the caller's state is
/// current, and with a wait, the job's next change (progress or end) as it happens. Time is fake: a wait ends only because
/// the job changed or the test advanced time.
/// </summary>
public sealed class ConditionalLongPollTests
{
    [Theory]
    [InlineData("/api/jobs/{0}")]
    [InlineData("/api/jobs/gated/{0}")]
    public async Task Get_AnswersWithAStrongETagOfTheJobsVersion(string route)
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync(Url(route, id));

        var version = (await api.Store.GetAsync(id))!.Version;
        Assert.Equal(new EntityTagHeaderValue($"\"{version}\""), response.Headers.ETag);
    }

    [Fact]
    public async Task Start_AnswersWithTheETagOfTheAcceptedState()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"a"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Matches("^\"[0-9]+\"$", response.Headers.ETag.Tag);
    }

    [Theory]
    [InlineData("/api/jobs/{0}")]
    [InlineData("/api/jobs/gated/{0}")]
    public async Task IfNoneMatch_WithTheCurrentETag_Returns304AtOnce_WithETagAndRetryAfter(string route)
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;
        var etag = await CurrentETagAsync(api, id);

        using var response = await GetAsync(api, Url(route, id), etag);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, response.Headers.ETag?.Tag);
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("{0}")]
    [InlineData("W/{0}")]
    [InlineData("\"0\", {0}")]
    [InlineData("\"elsewhere\", W/{0}, \"12345678\"")]
    public async Task IfNoneMatch_ThatNamesTheCurrentState_Returns304(string ifNoneMatch)
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);
        var etag = await CurrentETagAsync(api, id);

        using var response = await GetAsync(api, $"/api/jobs/{id}", string.Format(CultureInfo.InvariantCulture, ifNoneMatch, etag));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Null(TestApi.RetryAfter(response));
    }

    [Theory]
    [InlineData("/api/jobs/{0}?wait=30")]
    [InlineData("/api/jobs/{0}")]
    public async Task IfNoneMatch_WithAnOlderETag_Returns200AtOnce(string route)
    {
        await using var api = await TestApi.StartAsync(options => options.ProgressWriteInterval = TimeSpan.Zero);
        var job = await SteppedJob.StartAsync(api);
        await job.ReportAsync(0.1);
        var older = await CurrentETagAsync(api, job.Id);
        await job.ReportAsync(0.2);

        using var response = await GetAsync(api, Url(route, job.Id), older);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.2, (await TestApi.ReadJsonAsync(response)).GetProperty("progress").GetDouble());
        Assert.NotEqual(older, response.Headers.ETag?.Tag);
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
        job.Finish();
    }

    [Fact]
    public async Task IfNoneMatch_WithAWait_AnswersAtTheJobsNextProgress()
    {
        await using var api = await TestApi.StartAsync(options => options.ProgressWriteInterval = TimeSpan.Zero);
        var job = await SteppedJob.StartAsync(api);
        await job.ReportAsync(0.1);
        var etag = await CurrentETagAsync(api, job.Id);

        var request = GetAsync(api, $"/api/jobs/{job.Id}?wait=30", etag);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        Assert.False(request.IsCompleted);
        await job.ReportAsync(0.4);
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal(0.4, state.GetProperty("progress").GetDouble());
        Assert.Equal("at 0.4", state.GetProperty("progressMessage").GetString());
        Assert.Equal(await CurrentETagAsync(api, job.Id), response.Headers.ETag?.Tag);
        Assert.NotEqual(etag, response.Headers.ETag?.Tag);
        Assert.Equal("wait=30", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        job.Finish();
    }

    [Theory]
    [InlineData("/api/jobs/{0}?wait=5")]
    [InlineData("/api/jobs/gated/{0}?wait=5")]
    public async Task IfNoneMatch_WithAWait_Returns304WhenNothingChangesInTime(string route)
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;
        var etag = await CurrentETagAsync(api, id);

        var request = GetAsync(api, Url(route, id), etag);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        api.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(request.IsCompleted);
        api.Time.Advance(TimeSpan.FromSeconds(1));
        using var response = await request;

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, response.Headers.ETag?.Tag);
        Assert.Equal("wait=5", TestApi.Header(response, "Preference-Applied"));
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
    }

    [Fact]
    public async Task IfNoneMatch_WithAWait_AnswersWhenTheJobFinishes()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a", value: 4);
        await api.Gates["a"].Started;
        var etag = await CurrentETagAsync(api, id);

        var request = GetAsync(api, $"/api/jobs/gated/{id}?wait=30", etag);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        api.Gates["a"].Release();
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(8, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Null(TestApi.RetryAfter(response));
    }

    [Fact]
    public async Task IfNoneMatch_WithAWait_OnAFinishedJob_Returns304AtOnce()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);
        var etag = await CurrentETagAsync(api, id);

        using var response = await GetAsync(api, $"/api/jobs/{id}?wait=30", etag);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
        Assert.Null(TestApi.RetryAfter(response));
    }

    [Fact]
    public async Task IfNoneMatch_WithPreferWait_WaitsLikeTheQueryParameter()
    {
        await using var api = await TestApi.StartAsync(options => options.ProgressWriteInterval = TimeSpan.Zero);
        var job = await SteppedJob.StartAsync(api);
        await job.ReportAsync(0.1);
        var etag = await CurrentETagAsync(api, job.Id);

        var request = GetAsync(api, $"/api/jobs/{job.Id}", etag, prefer: "respond-async, wait=12");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(12));
        await job.ReportAsync(0.9);
        using var response = await request;

        Assert.Equal(0.9, (await TestApi.ReadJsonAsync(response)).GetProperty("progress").GetDouble());
        Assert.Equal("wait=12", TestApi.Header(response, "Preference-Applied"));
        job.Finish();
    }

    [Fact]
    public async Task IfNoneMatchStar_WithAWait_AnswersAtTheNextChange()
    {
        await using var api = await TestApi.StartAsync(options => options.ProgressWriteInterval = TimeSpan.Zero);
        var job = await SteppedJob.StartAsync(api);
        await job.ReportAsync(0.1);

        var request = GetAsync(api, $"/api/jobs/{job.Id}?wait=30", "*");
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        await job.ReportAsync(0.3);
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.3, (await TestApi.ReadJsonAsync(response)).GetProperty("progress").GetDouble());
        job.Finish();
    }

    [Fact]
    public async Task IfNoneMatch_WithAWait_BeyondTheCallersOpenLongPolls_Returns304AtOnce()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxLongPollsPerCaller = 1);
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;
        var etag = await CurrentETagAsync(api, id);
        var waiting = GetAsync(api, $"/api/jobs/{id}?wait=30", etag);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));

        using (var refused = await GetAsync(api, $"/api/jobs/{id}?wait=30", etag))
        {
            Assert.Equal(HttpStatusCode.NotModified, refused.StatusCode);
            Assert.Null(TestApi.Header(refused, "Preference-Applied"));
            Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(refused));
        }

        api.Gates["a"].Release();
        using var answered = await waiting;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Theory]
    [InlineData("not-an-etag")]
    [InlineData("\"unterminated")]
    [InlineData("W/")]
    public async Task IfNoneMatch_ThatIsNotAListOfETags_IsIgnored(string ifNoneMatch)
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);

        using var response = await GetAsync(api, $"/api/jobs/{id}", ifNoneMatch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Succeeded", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task IfNoneMatch_WithAWait_SeesTheLatestReportOfABurst_AtTheEndOfTheProgressWriteInterval()
    {
        var interval = TimeSpan.FromMilliseconds(250);
        await using var api = await TestApi.StartAsync(options => options.ProgressWriteInterval = interval);
        var job = await SteppedJob.StartAsync(api);
        await job.ReportAsync(0.1);
        var etag = await CurrentETagAsync(api, job.Id);

        var request = GetAsync(api, $"/api/jobs/{job.Id}?wait=30", etag);
        await api.Time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        await job.ReportAsync(0.2);
        await job.ReportAsync(0.3);
        await api.Time.WaitForTimerAsync(interval);
        Assert.False(request.IsCompleted);
        api.Time.Advance(interval);
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal(0.3, state.GetProperty("progress").GetDouble());
        Assert.Equal("at 0.3", state.GetProperty("progressMessage").GetString());
        job.Finish();
    }

    private static string Url(string route, Guid id) => string.Format(CultureInfo.InvariantCulture, route, id);

    private static async Task<string> CurrentETagAsync(TestApi api, Guid id)
    {
        using var response = await api.GetAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.ETag!.Tag;
    }

    private static Task<HttpResponseMessage> GetAsync(TestApi api, string url, string ifNoneMatch, string? prefer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        Assert.True(request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch));
        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        return SendAsync(api, request);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestApi api, HttpRequestMessage request)
    {
        using (request)
        {
            return await api.Client.SendAsync(request).WithSafetyTimeout();
        }
    }

    /// <summary>An ad-hoc job that reports the progress the test gives it, one step at a time, until the test finishes it.</summary>
    private sealed class SteppedJob
    {
        private readonly Channel<double> _steps = Channel.CreateUnbounded<double>();
        private readonly Channel<double> _reported = Channel.CreateUnbounded<double>();

        private SteppedJob()
        {
        }

        public Guid Id { get; private set; }

        public static async Task<SteppedJob> StartAsync(TestApi api)
        {
            var stepped = new SteppedJob();
            var job = await api.App.Services.GetRequiredService<IJobScheduler>().StartAsync(async (context, cancellationToken) =>
            {
                await foreach (var fraction in stepped._steps.Reader.ReadAllAsync(cancellationToken))
                {
                    await context.ReportProgressAsync(fraction, $"at {fraction.ToString(CultureInfo.InvariantCulture)}", cancellationToken);
                    await stepped._reported.Writer.WriteAsync(fraction, cancellationToken);
                }

                return 0;
            });
            stepped.Id = job.Id;
            return stepped;
        }

        /// <summary>Has the job report <paramref name="fraction"/>, and returns once it has (written or deferred, as the store's write interval says).</summary>
        public async Task ReportAsync(double fraction)
        {
            await _steps.Writer.WriteAsync(fraction);
            Assert.Equal(fraction, await _reported.Reader.ReadAsync().AsTask().WithSafetyTimeout());
        }

        public void Finish() => _steps.Writer.TryComplete();
    }
}
