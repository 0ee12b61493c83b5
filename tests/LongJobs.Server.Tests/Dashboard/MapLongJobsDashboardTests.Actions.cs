using System.Net;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Dashboard;

/// <summary>The operator actions beside cancel: retry a failed or cancelled job, pause and resume a kind.</summary>
public sealed partial class MapLongJobsDashboardTests
{
    [Fact]
    public async Task Retry_ByAnOperator_StartsOneNewJobLinkedToTheOriginal_EvenWhenSentTwice()
    {
        await using var api = await StartAsync();
        using var @operator = api.ClientFor("otto", OperatorRole);
        var id = await StartFailedAsync(api, @operator);
        var original = await api.Store.GetAsync(id);

        using var first = await ActWithPageTokenAsync(@operator, $"/jobs/_api/jobs/{id}/retry");
        using var second = await ActWithPageTokenAsync(@operator, $"/jobs/_api/jobs/{id}/retry");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var retry = await TestApi.ReadJsonAsync(first);
        Assert.Equal(id, retry.GetProperty("retryOf").GetGuid());
        Assert.Equal(retry.GetProperty("id").GetGuid(), (await TestApi.ReadJsonAsync(second)).GetProperty("id").GetGuid());
        Assert.Equal("otto", (await api.Store.GetAsync(retry.GetProperty("id").GetGuid()))!.Owner);
        Assert.Equal(original, await api.Store.GetAsync(id));
    }

    [Fact]
    public async Task Retry_AndPause_ByAViewerWhoIsNoOperator_Are403_AndChangeNothing()
    {
        await using var api = await StartAsync();
        using var viewer = api.ClientFor("val");
        var id = await StartFailedAsync(api, viewer);

        using var retry = await ActWithPageTokenAsync(viewer, $"/jobs/_api/jobs/{id}/retry");
        using var pause = await ActWithPageTokenAsync(viewer, "/jobs/_api/kinds/failing/pause");

        Assert.Equal(HttpStatusCode.Forbidden, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, pause.StatusCode);
        Assert.Contains($"'{Operators}'", (await TestApi.ReadProblemAsync(retry)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single((await api.Store.ListAsync(new() { Kind = "failing" })).Items);
        Assert.Empty(await api.Store.GetPausedKindsAsync());
    }

    [Fact]
    public async Task Retry_WithoutTheAntiforgeryToken_Is400_OfAnotherUsersJob_404_OfARunningJob_409()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice", OperatorRole);
        using var bob = api.ClientFor("bob", OperatorRole);
        var failed = await StartFailedAsync(api, alice);
        var running = await StartGatedAsync(alice, "g");
        await api.Gates["g"].Started;

        using var forged = await alice.PostAsync(new Uri($"/jobs/_api/jobs/{failed}/retry", UriKind.Relative), content: null).WithSafetyTimeout();
        using var bobs = await ActWithPageTokenAsync(bob, $"/jobs/_api/jobs/{failed}/retry");
        using var notFinished = await ActWithPageTokenAsync(alice, $"/jobs/_api/jobs/{running}/retry");

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, notFinished.StatusCode);
        Assert.Single((await api.Store.ListAsync(new() { Kind = "failing" })).Items);
        api.Gates["g"].Release();
    }

    [Fact]
    public async Task PauseAndResume_ByAnOperator_PauseTheKindEverywhere_AndTheOverviewSaysSo()
    {
        await using var api = await StartAsync();
        using var @operator = api.ClientFor("otto", OperatorRole);

        using var paused = await ActWithPageTokenAsync(@operator, "/jobs/_api/kinds/gated/pause");
        var whilePaused = await TestApi.ReadJsonAsync(await @operator.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout());
        using var resumed = await ActWithPageTokenAsync(@operator, "/jobs/_api/kinds/gated/resume");
        using var unknown = await ActWithPageTokenAsync(@operator, "/jobs/_api/kinds/nope/pause");
        var afterwards = await TestApi.ReadJsonAsync(await @operator.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout());

        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.True((await TestApi.ReadJsonAsync(paused)).GetProperty("paused").GetBoolean());
        Assert.Equal("gated", Assert.Single(whilePaused.GetProperty("pausedKinds").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.False((await TestApi.ReadJsonAsync(resumed)).GetProperty("paused").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, afterwards.GetProperty("pausedKinds").GetArrayLength());
        Assert.Contains("gated", afterwards.GetProperty("registeredKinds").EnumerateArray().Select(kind => kind.GetString()));
    }

    private static async Task<Guid> StartFailedAsync(TestApi api, HttpClient client)
    {
        using var response = await client.PostAsync(new Uri("/api/jobs/failing", UriKind.Relative), TestApi.Json("{}")).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
        var job = await api.Store.GetAsync(id);
        while (job!.Status != JobStatus.Failed)
        {
            job = await api.Store.WaitForChangeAsync(id, job.Version).AsTask().WithSafetyTimeout();
        }

        return id;
    }

    /// <summary>Loads the page, as a browser would, and POSTs to <paramref name="path"/> with its antiforgery token and cookie.</summary>
    private static async Task<HttpResponseMessage> ActWithPageTokenAsync(HttpClient client, string path)
    {
        using var page = await client.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = Attribute(await page.Content.ReadAsStringAsync(), "data-token");
        var cookie = page.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request).WithSafetyTimeout();
    }
}
