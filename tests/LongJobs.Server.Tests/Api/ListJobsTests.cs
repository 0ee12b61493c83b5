using System.Net;
using System.Text.Json;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>GET /api/jobs: newest first, filters, paging.</summary>
public sealed class ListJobsTests
{
    [Fact]
    public async Task List_ReturnsJobsNewestFirst()
    {
        await using var api = await TestApi.StartAsync();
        var ids = await StartSeveralAsync(api, 4);

        using var response = await api.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await TestApi.ReadJsonAsync(response);
        Assert.Equal(Enumerable.Reverse(ids), IdsOf(list));
        Assert.False(list.TryGetProperty("nextPageToken", out var token) && token.ValueKind != JsonValueKind.Null);
        Assert.All(list.GetProperty("items").EnumerateArray(), item => Assert.StartsWith("/api/jobs/", item.GetProperty("statusUrl").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_FiltersByStatusAndKind()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["done"].Release();
        var succeeded = await api.StartGatedAsync("done");
        await api.WaitUntilFinishedAsync(succeeded);
        api.Time.Advance(TimeSpan.FromSeconds(1));
        using var failingResponse = await api.PostAsync("failing", "{}");
        var failed = (await TestApi.ReadJsonAsync(failingResponse)).GetProperty("id").GetGuid();
        await api.WaitUntilFinishedAsync(failed);
        api.Time.Advance(TimeSpan.FromSeconds(1));
        var running = await api.StartGatedAsync("running");
        await api.Gates["running"].Started;

        Assert.Equal([succeeded], await ListIdsAsync(api, "?status=Succeeded"));
        Assert.Equal([running], await ListIdsAsync(api, "?status=Running"));
        Assert.Equal([failed], await ListIdsAsync(api, "?kind=failing"));
        Assert.Equal([running, succeeded], await ListIdsAsync(api, "?kind=gated"));
        Assert.Empty(await ListIdsAsync(api, "?kind=gated&status=Failed"));
        Assert.Empty(await ListIdsAsync(api, "?kind=unknown-kind"));
    }

    [Fact]
    public async Task List_PagingWithPageTokens_ReturnsEveryJobOnceInOrder()
    {
        await using var api = await TestApi.StartAsync();
        var ids = await StartSeveralAsync(api, 5);

        var seen = new List<Guid>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = token is null ? "?pageSize=2" : $"?pageSize=2&pageToken={Uri.EscapeDataString(token)}";
            using var response = await api.GetAsync($"/api/jobs{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var list = await TestApi.ReadJsonAsync(response);
            seen.AddRange(IdsOf(list));
            token = list.TryGetProperty("nextPageToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Theory]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    [InlineData("?pageSize=-3", "pageSize")]
    [InlineData("?pageSize=ten", "pageSize")]
    [InlineData("?status=Sleeping", "status")]
    [InlineData("?status=running", "status")]
    [InlineData("?status=17", "status")]
    [InlineData("?pageToken=not-a-token", "pageToken")]
    [InlineData("?pageToken=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "pageToken")]
    public async Task List_WithInvalidParameter_Returns400ProblemNamingIt(string query, string field)
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.GetAsync($"/api/jobs{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    /// <summary>Starts gated jobs one fake second apart, so their creation order is unambiguous.</summary>
    [Theory]
    [InlineData("?status=1")]
    [InlineData("?status=Running,Queued")]
    public async Task List_WithAStatusThatIsNotOneStatusName_Returns400ProblemNamingStatus(string query)
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.GetAsync($"/api/jobs{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty("status", out _), problem.ToString());
    }

    private static async Task<List<Guid>> StartSeveralAsync(TestApi api, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await api.StartGatedAsync($"job-{i}"));
            api.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return ids;
    }

    private static async Task<List<Guid>> ListIdsAsync(TestApi api, string query)
    {
        using var response = await api.GetAsync($"/api/jobs{query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return IdsOf(await TestApi.ReadJsonAsync(response));
    }

    private static List<Guid> IdsOf(JsonElement list) =>
        [.. list.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
}
