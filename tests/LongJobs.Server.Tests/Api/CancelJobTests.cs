using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{id}/cancel.</summary>
public sealed class CancelJobTests
{
    [Fact]
    public async Task Cancel_QueuedJob_ReturnsItCanceled()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        await api.StartGatedAsync("blocker");
        await api.Gates["blocker"].Started;
        var id = await api.StartGatedAsync("queued");

        using var response = await api.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Canceled", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("cancellationRequested").GetBoolean());
        Assert.False(api.Gates["queued"].HasStarted);
    }

    [Fact]
    public async Task Cancel_RunningJob_SignalsItAndItEndsCanceled()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        using var response = await api.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await TestApi.ReadJsonAsync(response)).GetProperty("cancellationRequested").GetBoolean());
        var finished = await api.WaitUntilFinishedAsync(id);
        Assert.Equal("Canceled", finished.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_FinishedJob_ReturnsItUnchanged()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a", value: 2);
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.False(state.GetProperty("cancellationRequested").GetBoolean());
        Assert.Equal(4, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Cancel_UnknownId_Returns404Problem()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.CancelAsync(Guid.NewGuid());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
    }

    [Fact]
    public async Task Cancel_AnswersWithTheETagOfTheStateItReturns()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        await api.StartGatedAsync("blocker");
        await api.Gates["blocker"].Started;
        var id = await api.StartGatedAsync("queued");

        using var response = await api.CancelAsync(id);

        var version = (await api.Store.GetAsync(id))!.Version;
        Assert.Equal("Canceled", (await TestApi.ReadJsonAsync(response)).GetProperty("status").GetString());
        Assert.Equal($"\"{version}\"", response.Headers.ETag?.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
    }

    [Fact]
    public async Task Cancel_LeavesTheJobReadable()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxConcurrency = 1);
        await api.StartGatedAsync("blocker");
        await api.Gates["blocker"].Started;
        var id = await api.StartGatedAsync("queued");
        using var cancel = await api.CancelAsync(id);

        using var read = await api.GetAsync($"/api/jobs/{id}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("Canceled", (await TestApi.ReadJsonAsync(read)).GetProperty("status").GetString());
    }
}
