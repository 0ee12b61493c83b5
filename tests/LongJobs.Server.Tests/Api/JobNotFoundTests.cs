using System.Globalization;
using System.Net;
using System.Text.Json;
using LongJobs.Server.Api;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// The 404 of a job that is not there says which it may be, in <c>detail</c> and in <c>reason</c>: lost with an
/// in-memory server's restart (its GUID v7 ID dates from before the store started), never started, removed or deleted,
/// or of another kind than the route's.
/// </summary>
public sealed class JobNotFoundTests
{
    public static TheoryData<string, string> EveryRouteOfOneJob => new()
    {
        { "GET", "/api/jobs/{0}" },
        { "GET", "/api/jobs/{0}?wait=30" },
        { "GET", "/api/jobs/gated/{0}" },
        { "POST", "/api/jobs/{0}/cancel" },
        { "DELETE", "/api/jobs/{0}" },
        { "GET", "/api/jobs/{0}/events" },
    };

    [Theory]
    [MemberData(nameof(EveryRouteOfOneJob))]
    public async Task AJobCreatedBeforeTheServerStarted_Is404ServerRestarted(string method, string route)
    {
        await using var api = await TestApi.StartAsync();
        var started = api.Store.InMemorySince!.Value;
        var createdAt = started.AddHours(-2);
        var id = Guid.CreateVersion7(createdAt);

        var problem = await NotFoundAsync(api, method, route, id);

        Assert.Equal("serverRestarted", problem.GetProperty("reason").GetString());
        Assert.Equal(
            $"Job '{id}' was created at {Iso(createdAt)}, before this server started at {Iso(started)}; jobs kept in memory are lost when the server restarts.",
            problem.GetProperty("detail").GetString());
    }

    [Theory]
    [MemberData(nameof(EveryRouteOfOneJob))]
    public async Task AnUnknownJobCreatedSinceTheServerStarted_Is404NotFoundOrRemoved(string method, string route)
    {
        await using var api = await TestApi.StartAsync(options => (options.RetainFinishedJobsFor, options.MaxRetainedJobs) = (TimeSpan.FromHours(24), 10_000));
        api.Time.Advance(TimeSpan.FromMinutes(1));
        var id = Guid.CreateVersion7(api.Time.GetUtcNow());

        var problem = await NotFoundAsync(api, method, route, id);

        Assert.Equal("notFoundOrRemoved", problem.GetProperty("reason").GetString());
        Assert.Equal(
            $"No job '{id}' exists: it was never started here, or it finished and was removed (finished jobs are kept for 24 hours, at most 10,000 of them), or it was deleted.",
            problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnIdThatIsNotAGuidVersion7_Is404NotFoundOrRemoved()
    {
        await using var api = await TestApi.StartAsync();

        var problem = await NotFoundAsync(api, "GET", "/api/jobs/{0}", Guid.Parse("00000000-0000-4000-8000-000000000001"));

        Assert.Equal("notFoundOrRemoved", problem.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AJobCreatedInTheStoresFirstMillisecond_IsNotSaidToBeFromBeforeTheRestart()
    {
        await using var api = await TestApi.StartAsync();

        var problem = await NotFoundAsync(api, "GET", "/api/jobs/{0}", Guid.CreateVersion7(api.Store.InMemorySince!.Value));

        Assert.Equal("notFoundOrRemoved", problem.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AJobRemovedByRetention_Is404NotFoundOrRemoved()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxRetainedJobs = 1);
        api.Gates["a"].Release();
        var removed = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(removed);
        var finished = (await api.Store.GetAsync(removed))!;
        var kept = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(kept);
        Assert.Null(await api.Store.WaitForChangeAsync(removed, finished.Version).AsTask().WithSafetyTimeout());

        var problem = await NotFoundAsync(api, "GET", "/api/jobs/{0}", removed);

        Assert.Equal("notFoundOrRemoved", problem.GetProperty("reason").GetString());
        Assert.Contains("at most 1 of them", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJobOfAnotherKind_OnTheTypedRoute_Is404OtherKindWithItsKind()
    {
        await using var api = await TestApi.StartAsync();
        using var started = await api.PostAsync("failing", """{"code":1}""");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();

        var problem = await NotFoundAsync(api, "GET", "/api/jobs/gated/{0}?wait=30", id);

        Assert.Equal("otherKind", problem.GetProperty("reason").GetString());
        Assert.Equal("failing", problem.GetProperty("kind").GetString());
        Assert.Equal($"Job '{id}' is of kind 'failing', not 'gated'.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(24 * 60, "24 hours")]
    [InlineData(60, "1 hour")]
    [InlineData(90, "90 minutes")]
    [InlineData(7 * 24 * 60, "7 days")]
    [InlineData(1, "1 minute")]
    public void Describe_SaysARetentionPeriodInWords(int minutes, string words) =>
        Assert.Equal(words, JobNotFound.Describe(TimeSpan.FromMinutes(minutes)));

    [Fact]
    public void CreatedAt_ReadsTheTimeOfAGuidVersion7_ToTheMillisecond()
    {
        var createdAt = new DateTimeOffset(2031, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

        Assert.Equal(createdAt, JobNotFound.CreatedAt(Guid.CreateVersion7(createdAt.AddTicks(4_000))));
        Assert.Null(JobNotFound.CreatedAt(Guid.NewGuid()));
        Assert.Null(JobNotFound.CreatedAt(Guid.Empty));
    }

    private static async Task<JsonElement> NotFoundAsync(TestApi api, string method, string route, Guid id)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(string.Format(CultureInfo.InvariantCulture, route, id), UriKind.Relative));
        using var response = await api.Client.SendAsync(request).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Equal("Job not found.", problem.GetProperty("title").GetString());
        return problem;
    }

    private static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
