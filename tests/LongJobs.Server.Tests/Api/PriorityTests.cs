using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// A job's priority over REST: its kind's, or the kind's function's for its request (<c>PriorityBy</c>), or its own from
/// <c>LongJobs-Priority</c> or a batch item's <c>priority</c>.
/// </summary>
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

    [Fact]
    public async Task AKindsPriorityFunction_GivesEachJobItsOwn_UnlessTheHeaderOrTheBatchItemSaysOtherwise()
    {
        await using var api = await StartAsync();

        using var computed = await api.PostAsync("express", """{"gateKey":"a","value":40}""");
        using var fromHeader = await api.PostAsync("express", """{"gateKey":"b","value":40}""", ("LongJobs-Priority", "-2"));
        using var batch = await api.Client.PostAsync(
            new Uri("/api/jobs/express/batch", UriKind.Relative),
            TestApi.Json("""[{"request":{"gateKey":"c","value":7}},{"request":{"gateKey":"d","value":7},"priority":1}]"""));

        Assert.Equal(80, (await TestApi.ReadJsonAsync(computed)).GetProperty("priority").GetInt32());
        Assert.Equal(-2, (await TestApi.ReadJsonAsync(fromHeader)).GetProperty("priority").GetInt32());
        var items = (await TestApi.ReadJsonAsync(batch)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([14, 1], items.Select(item => item.GetProperty("job").GetProperty("priority").GetInt32()));
    }

    [Theory]
    [InlineData(600, "must be from -1000 to 1000")]
    [InlineData(999, "could not be computed")]
    public async Task APriorityFunctionThatRefusesARequest_Is400_AndStartsNothing_ButAHeaderStartsIt(int value, string saying)
    {
        await using var api = await StartAsync();

        using var refused = await api.PostAsync("express", $$"""{"gateKey":"a","value":{{value}}}""");
        using var batch = await api.Client.PostAsync(new Uri("/api/jobs/express/batch", UriKind.Relative), TestApi.Json($$$"""[{"request":{"gateKey":"b","value":{{{value}}}}}]"""));
        Assert.Equal(0, api.Store.Count);
        using var started = await api.PostAsync("express", $$"""{"gateKey":"c","value":{{value}}}""", ("LongJobs-Priority", "3"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(saying, (await TestApi.ReadProblemAsync(refused)).GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(400, (await TestApi.ReadJsonAsync(batch)).GetProperty("items")[0].GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
    }

    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        addJobs: jobs => jobs
            .AddJob<GatedJob, GatedRequest, GatedResult>("urgent", kind => kind.Priority = 5)
            .AddJob<GatedJob, GatedRequest, GatedResult>("express", kind => kind.PriorityBy<GatedRequest>(request => request.Value == 999 ? throw new InvalidOperationException("No priority for 999.") : request.Value * 2)));
}
