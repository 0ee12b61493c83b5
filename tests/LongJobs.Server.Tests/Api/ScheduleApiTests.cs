using System.Net;
using System.Text.Json;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// GET /api/jobs/schedules, POST /api/jobs/schedules/{name}/pause and /resume: anyone lists the recurring schedules,
/// administrators pause and resume them; an occurrence's job has no owner: read by its ID like a job started in code,
/// and listed for administrators.
/// </summary>
public sealed class ScheduleApiTests
{
    private const string Administrators = "jobs-admin";

    [Fact]
    public async Task TheSchedules_AreListed_WithTheirNextRun_AndAnOccurrencesJobIsListedForAdministrators()
    {
        await using var api = await StartAsync();
        var now = api.Time.GetUtcNow();
        var next = new DateTimeOffset(now.UtcDateTime.Date.AddHours(3), TimeSpan.Zero);
        var due = (next > now ? next : next.AddDays(1)) - now;
        await api.Time.WaitForTimerAsync(due);

        var listed = Assert.Single((await ListAsync(api)).EnumerateArray());
        Assert.Equal("nightly", listed.GetProperty("name").GetString());
        Assert.Equal("gated-nightly", listed.GetProperty("kind").GetString());
        Assert.Equal("0 3 * * *", listed.GetProperty("cron").GetString());
        Assert.Equal("UTC", listed.GetProperty("timeZone").GetString());
        Assert.False(listed.GetProperty("paused").GetBoolean());
        Assert.Equal(now + due, listed.GetProperty("nextRunAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("lastJobId").ValueKind);

        api.Time.Advance(due);
        await api.Time.WaitForTimerAsync(TimeSpan.FromDays(1));

        var ran = Assert.Single((await ListAsync(api)).EnumerateArray());
        Assert.Equal(now + due, ran.GetProperty("lastRunAt").GetDateTimeOffset());
        var job = ran.GetProperty("lastJobId").GetGuid();
        using var admin = api.ClientFor("carol", Administrators);
        using var alice = api.ClientFor("alice");
        using var read = await alice.GetAsync(new Uri($"/api/jobs/{job}", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("gated-nightly", (await TestApi.ReadJsonAsync(read)).GetProperty("kind").GetString());
        Assert.Equal([job], await ListedAsync(admin));
        Assert.Empty(await ListedAsync(alice));
    }

    [Fact]
    public async Task AnAdministrator_PausesASchedule_AndResumesIt()
    {
        await using var api = await StartAsync();
        using var admin = api.ClientFor("carol", Administrators);

        using var paused = await admin.PostAsync(new Uri("/api/jobs/schedules/nightly/pause", UriKind.Relative), content: null).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        var pause = await TestApi.ReadJsonAsync(paused);
        Assert.True(pause.GetProperty("paused").GetBoolean());
        Assert.Equal(api.Time.GetUtcNow(), pause.GetProperty("pausedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, pause.GetProperty("nextRunAt").ValueKind);
        Assert.True(Assert.Single((await ListAsync(api)).EnumerateArray()).GetProperty("paused").GetBoolean());

        using var resumed = await admin.PostAsync(new Uri("/api/jobs/schedules/nightly/resume", UriKind.Relative), content: null).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var resume = await TestApi.ReadJsonAsync(resumed);
        Assert.False(resume.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.String, resume.GetProperty("nextRunAt").ValueKind);
    }

    [Theory]
    [InlineData("alice", "pause")]
    [InlineData(null, "pause")]
    [InlineData("alice", "resume")]
    public async Task SomeoneNotAnAdministrator_Gets403_AndNothingChanges(string? user, string action)
    {
        await using var api = await StartAsync();
        using var client = api.ClientFor(user);

        using var response = await client.PostAsync(new Uri($"/api/jobs/schedules/nightly/{action}", UriKind.Relative), content: null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.All(await api.Store.GetSchedulesAsync(), schedule => Assert.Null(schedule.PausedAt));
    }

    [Fact]
    public async Task PausingAnUnknownSchedule_Is404()
    {
        await using var api = await StartAsync();
        using var admin = api.ClientFor("carol", Administrators);

        using var response = await admin.PostAsync(new Uri("/api/jobs/schedules/weekly/pause", UriKind.Relative), content: null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Unknown schedule.", (await TestApi.ReadJsonAsync(response)).GetProperty("title").GetString());
        Assert.All(await api.Store.GetSchedulesAsync(), schedule => Assert.NotEqual("weekly", schedule.Name));
    }

    private static async Task<IReadOnlyList<Guid>> ListedAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/api/jobs?kind=gated-nightly", UriKind.Relative)).WithSafetyTimeout();
        return [.. (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
    }

    private static async Task<JsonElement> ListAsync(TestApi api)
    {
        using var response = await api.GetAsync("/api/jobs/schedules");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("items");
    }

    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        options => options.AdministratorRole = Administrators,
        addServices: HeaderAuthenticationHandler.Add,
        addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("gated-nightly", kind => kind.AddSchedule("nightly", "0 3 * * *", new GatedRequest { GateKey = "nightly" })));
}
