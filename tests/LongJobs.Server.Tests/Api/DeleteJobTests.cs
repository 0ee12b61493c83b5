using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>DELETE /api/jobs/{id}: removes a finished job's record; an unfinished job is a conflict; cancelling is POST …/cancel.</summary>
public sealed class DeleteJobTests
{
    [Fact]
    public async Task Delete_FinishedJob_Returns204_AndTheJobIsGone()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Null(await api.Store.GetAsync(id));
        using var read = await api.GetAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal("notFoundOrRemoved", (await TestApi.ReadProblemAsync(read)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Delete_CanceledJob_Returns204()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        await api.StartGatedAsync("blocker");
        await api.Gates["blocker"].Started;
        var id = await api.StartGatedAsync("queued");
        using var cancel = await api.CancelAsync(id);

        using var response = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(await api.Store.GetAsync(id));
    }

    [Fact]
    public async Task Delete_RunningJob_Returns409Problem_AndLeavesTheJobRunning()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;
        var before = await api.Store.GetAsync(id);

        using var response = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Equal("Running", problem.GetProperty("jobStatus").GetString());
        Assert.Contains($"POST /api/jobs/{id}/cancel", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await api.Store.GetAsync(id));
        Assert.False(before!.CancellationRequested);
    }

    [Fact]
    public async Task Delete_QueuedJob_Returns409Problem_AndTheJobStillRuns()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        await api.StartGatedAsync("blocker");
        await api.Gates["blocker"].Started;
        var id = await api.StartGatedAsync("queued");

        using var response = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("Queued", (await TestApi.ReadProblemAsync(response)).GetProperty("jobStatus").GetString());
        api.Gates["blocker"].Release();
        api.Gates["queued"].Release();
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_UnknownJob_Returns404Problem()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.DeleteAsync(Guid.CreateVersion7(api.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("notFoundOrRemoved", (await TestApi.ReadProblemAsync(response)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Delete_Twice_Returns204Then404()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a");
        await api.WaitUntilFinishedAsync(id);

        using var first = await api.DeleteAsync(id);
        using var second = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
    }

    [Fact]
    public async Task Delete_AnotherOwnersFinishedJob_Returns404_AndKeepsIt()
    {
        await using var api = await TestApi.StartAsync(addServices: HeaderAuthenticationHandler.Add);
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        api.Gates["a"].Release();
        var id = await StartAsync(alice, "a");
        using (var finished = await alice.GetAsync(new Uri($"/api/jobs/{id}?wait=60", UriKind.Relative)).WithSafetyTimeout())
        {
            Assert.Equal("Succeeded", (await TestApi.ReadJsonAsync(finished)).GetProperty("status").GetString());
        }

        using var refused = await api.DeleteAsync(id, bob);
        using var anonymous = await api.DeleteAsync(id);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        Assert.NotNull(await api.Store.GetAsync(id));
        using var owners = await api.DeleteAsync(id, alice);
        Assert.Equal(HttpStatusCode.NoContent, owners.StatusCode);
    }

    [Fact]
    public async Task Delete_FreesTheIdempotencyKey_SoTheSameRequestStartsANewJob()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var first = await api.StartGatedAsync("a", header: ("Idempotency-Key", "report-42"));
        await api.WaitUntilFinishedAsync(first);
        Assert.Equal(first, await api.StartGatedAsync("a", header: ("Idempotency-Key", "report-42")));

        using var deleted = await api.DeleteAsync(first);
        var second = await api.StartGatedAsync("a", header: ("Idempotency-Key", "report-42"));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Delete_LeavesOtherJobsAlone()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["done"].Release();
        var deleted = await api.StartGatedAsync("done");
        var kept = await api.StartGatedAsync("done");
        await api.WaitUntilFinishedAsync(deleted);
        await api.WaitUntilFinishedAsync(kept);
        var running = await api.StartGatedAsync("running");
        await api.Gates["running"].Started;

        using var response = await api.DeleteAsync(deleted);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(2, api.Store.Count);
        Assert.NotNull(await api.Store.GetAsync(kept));
        Assert.NotNull(await api.Store.GetAsync(running));
    }

    private static async Task<Guid> StartAsync(HttpClient client, string gateKey)
    {
        using var response = await client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), TestApi.Json($$"""{"gateKey":"{{gateKey}}"}""")).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }
}
