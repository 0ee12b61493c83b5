using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>GET /api/jobs/kinds, POST /api/jobs/kinds/{kind}/pause and /resume: administrators pause and resume kinds.</summary>
public sealed class KindPauseTests
{
    private const string Administrators = "jobs-admin";

    [Fact]
    public async Task AnAdministrator_PausesAKind_ItsJobsWait_ThenResumesIt_AndTheyRun()
    {
        await using var api = await StartAsync();
        using var admin = api.ClientFor("carol", Administrators);

        using var paused = await admin.PostAsync(new Uri("/api/jobs/kinds/GATED/pause", UriKind.Relative), content: null).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        var pause = await TestApi.ReadJsonAsync(paused);
        Assert.Equal("gated", pause.GetProperty("name").GetString());
        Assert.True(pause.GetProperty("paused").GetBoolean());
        Assert.Equal(api.Time.GetUtcNow(), pause.GetProperty("pausedAt").GetDateTimeOffset());

        var id = await api.StartGatedAsync("waits");
        using var listed = await api.GetAsync("/api/jobs/kinds");
        var gated = (await TestApi.ReadJsonAsync(listed)).GetProperty("items").EnumerateArray().Single(kind => kind.GetProperty("name").GetString() == "gated");
        Assert.True(gated.GetProperty("paused").GetBoolean());
        Assert.Equal(LongJobs.Server.Jobs.JobStatus.Queued, (await api.Store.GetAsync(id))!.Status);
        Assert.False(api.Gates["waits"].HasStarted);

        using var resumed = await admin.PostAsync(new Uri("/api/jobs/kinds/gated/resume", UriKind.Relative), content: null).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.False((await TestApi.ReadJsonAsync(resumed)).GetProperty("paused").GetBoolean());
        await api.Gates["waits"].Started;
    }

    [Theory]
    [InlineData("alice", "pause")]
    [InlineData(null, "pause")]
    [InlineData("alice", "resume")]
    public async Task SomeoneNotAnAdministrator_Gets403_AndNothingChanges(string? user, string action)
    {
        await using var api = await StartAsync();
        using var client = api.ClientFor(user);

        using var response = await client.PostAsync(new Uri($"/api/jobs/kinds/gated/{action}", UriKind.Relative), content: null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await api.Store.GetPausedKindsAsync());
    }

    [Fact]
    public async Task WithoutAnAdministratorRole_PausingIsRefusedWith403SayingSo()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.Client.PostAsync(new Uri("/api/jobs/kinds/gated/pause", UriKind.Relative), content: null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("AdministratorRole", (await TestApi.ReadJsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PausingAnUnknownKind_Is404()
    {
        await using var api = await StartAsync();
        using var admin = api.ClientFor("carol", Administrators);

        using var response = await admin.PostAsync(new Uri("/api/jobs/kinds/no-such-kind/pause", UriKind.Relative), content: null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await api.Store.GetPausedKindsAsync());
    }

    private static Task<TestApi> StartAsync() =>
        TestApi.StartAsync(options => options.AdministratorRole = Administrators, addServices: HeaderAuthenticationHandler.Add);
}
