using System.Globalization;
using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{kind} with <c>LongJobs-Delay</c> or <c>LongJobs-Not-Before</c>: jobs started for later.</summary>
public sealed class DelayedStartTests
{
    [Fact]
    public async Task Start_WithADelay_Answers202Scheduled_ListsIt_AndRunsItWhenDue()
    {
        await using var api = await TestApi.StartAsync();
        var startedAt = api.Time.GetUtcNow();

        var id = await api.StartGatedAsync("later", header: ("LongJobs-Delay", "600"));

        using var read = await api.GetAsync($"/api/jobs/{id}");
        var state = await TestApi.ReadJsonAsync(read);
        Assert.Equal("Scheduled", state.GetProperty("status").GetString());
        Assert.Equal(TimeSpan.FromMinutes(10), read.Headers.RetryAfter?.Delta);
        Assert.Equal(startedAt.AddMinutes(10), state.GetProperty("notBefore").GetDateTimeOffset());
        using var listed = await api.GetAsync("/api/jobs?status=Scheduled");
        Assert.Equal([id], (await TestApi.ReadJsonAsync(listed)).GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid()));

        await api.Time.WaitForTimerAsync(TimeSpan.FromMinutes(10));
        api.Time.Advance(TimeSpan.FromMinutes(10));
        await api.Gates["later"].Started;
        api.Gates["later"].Release();
        var final = await api.WaitUntilFinishedAsync(id);
        Assert.Equal("Succeeded", final.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_WithATimeToCome_Answers202ScheduledForThatTime()
    {
        await using var api = await TestApi.StartAsync();
        var at = new DateTimeOffset(api.Time.GetUtcNow().Year + 1, 6, 1, 3, 0, 0, TimeSpan.FromHours(2));

        using var response = await api.PostAsync("gated", """{"gateKey":"later"}""", ("LongJobs-Not-Before", at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Scheduled", state.GetProperty("status").GetString());
        Assert.Equal(at, state.GetProperty("notBefore").GetDateTimeOffset());
    }

    [Fact]
    public async Task Start_WithATimePassed_StartsNow()
    {
        await using var api = await TestApi.StartAsync();

        var passed = api.Time.GetUtcNow().AddMinutes(-1).ToString("yyyy-MM-dd'T'HH:mm:ssZ", CultureInfo.InvariantCulture);

        var id = await api.StartGatedAsync("now", header: ("LongJobs-Not-Before", passed));

        await api.Gates["now"].Started;
        using var read = await api.GetAsync($"/api/jobs/{id}");
        var state = await TestApi.ReadJsonAsync(read);
        Assert.Equal("Running", state.GetProperty("status").GetString());
        Assert.False(state.TryGetProperty("notBefore", out var notBefore) && notBefore.ValueKind != System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task Cancel_AScheduledJob_CancelsItAtOnce()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("never", header: ("LongJobs-Delay", "60"));

        using var cancelled = await api.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("Canceled", (await TestApi.ReadJsonAsync(cancelled)).GetProperty("status").GetString());
        Assert.Null(await api.Store.GetNextDueTimeAsync());
    }
}
