using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>A job's priority over REST: its kind's, or its own from <c>LongJobs-Priority</c> or a batch item's <c>priority</c>.</summary>
public sealed class PriorityTests
{
    [Fact]
    public async Task AStart_ShowsItsKindsPriority_OrItsOwnFromTheHeader()
    {
        await using var api = await StartAsync();

        using var ofKind = await api.PostAsync("urgent", """{"gateKey":"a"}""");
        using var own = await api.PostAsync("urgent", """{"gateKey":"b"}""", ("LongJobs-Priority", "-7"));

        Assert.Equal(5, (await TestApi.ReadJsonAsync(ofKind)).GetProperty("priority").GetInt32());
        Assert.Equal(-7, (await TestApi.ReadJsonAsync(own)).GetProperty("priority").GetInt32());
        var id = (await TestApi.ReadJsonAsync(own)).GetProperty("id").GetGuid();
        Assert.Equal(-7, (await TestApi.ReadJsonAsync(await api.GetAsync($"/api/jobs/{id}"))).GetProperty("priority").GetInt32());
    }

    [Theory]
    [InlineData("high")]
    [InlineData("1001")]
    [InlineData("-1001")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task AnInvalidPriorityHeader_Is400NamingIt_AndStartsNothing(string value)
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("urgent", """{"gateKey":"a"}""", ("LongJobs-Priority", value));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApi.ReadProblemAsync(response)).GetProperty("errors").TryGetProperty("LongJobs-Priority", out _));
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task ABatch_TakesEachItemsPriority_AndAnswersAnItemOutOfRangeWith400()
    {
        await using var api = await StartAsync();

        using var response = await api.Client.PostAsync(
            new Uri("/api/jobs/urgent/batch", UriKind.Relative),
            TestApi.Json("""[{"request":{"gateKey":"a"},"priority":3},{"request":{"gateKey":"b"},"priority":2000},{"request":{"gateKey":"c"}}]"""));

        var items = (await TestApi.ReadJsonAsync(response)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([202, 400, 202], items.Select(item => item.GetProperty("status").GetInt32()));
        Assert.Equal(3, items[0].GetProperty("job").GetProperty("priority").GetInt32());
        Assert.True(items[1].GetProperty("problem").GetProperty("errors").TryGetProperty("priority", out _));
        Assert.Equal(5, items[2].GetProperty("job").GetProperty("priority").GetInt32());
    }

    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        addJobs: jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = 5));
}
