using System.Net;
using LongJobs.Server.Execution;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{id}/retry and <see cref="IJobScheduler.RetryAsync"/>: a failed or cancelled job starts again as a new job linked to it.</summary>
public sealed class RetryJobTests
{
    [Fact]
    public async Task Retry_OfACanceledJob_Returns202WithANewJobOfTheSameRequest_LinkedToIt_AndLeavesItAsItEnded()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a", value: 7, header: ("LongJobs-Priority", "5"));
        await api.Gates["a"].Started;
        (await api.CancelAsync(id)).Dispose();
        var canceled = await api.WaitUntilFinishedAsync(id);
        var before = await api.Store.GetAsync(id);

        using var response = await RetryAsync(api.Client, id);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var retry = await TestApi.ReadJsonAsync(response);
        var retryId = retry.GetProperty("id").GetGuid();
        Assert.NotEqual(id, retryId);
        Assert.Equal(id, retry.GetProperty("retryOf").GetGuid());
        Assert.Equal("gated", retry.GetProperty("kind").GetString());
        Assert.Equal(5, retry.GetProperty("priority").GetInt32());
        Assert.EndsWith($"/api/jobs/{retryId}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(7, (await api.Store.GetAsync(retryId))!.Request!.Value.GetProperty("value").GetInt32());
        Assert.Equal(before, await api.Store.GetAsync(id));
        Assert.Equal("Canceled", canceled.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, canceled.GetProperty("retryOf").ValueKind);

        api.Gates["a"].Release();
        var done = await api.WaitUntilFinishedAsync(retryId);
        Assert.Equal("Succeeded", done.GetProperty("status").GetString());
        Assert.Equal(14, done.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Retry_Twice_AnswersWithTheFirstRetry_StartingOneJob()
    {
        await using var api = await TestApi.StartAsync();
        using var failing = await api.PostAsync("failing", "{}");
        var id = (await TestApi.ReadJsonAsync(failing)).GetProperty("id").GetGuid();
        Assert.Equal("Failed", (await api.WaitUntilFinishedAsync(id)).GetProperty("status").GetString());

        var answers = await Task.WhenAll(RetryAsync(api.Client, id), RetryAsync(api.Client, id));

        var ids = new HashSet<Guid>();
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            ids.Add((await TestApi.ReadJsonAsync(answer)).GetProperty("id").GetGuid());
            answer.Dispose();
        }

        var retryId = Assert.Single(ids);
        var failingJobs = await TestApi.ReadJsonAsync(await api.GetAsync("/api/jobs?kind=failing"));
        Assert.Equal(2, failingJobs.GetProperty("items").GetArrayLength());
        Assert.Equal(id, (await api.Store.GetAsync(retryId))!.RetryOf);
    }

    [Fact]
    public async Task Retry_OfAJobThatSucceededOrRuns_Is409_NamingItsStatus()
    {
        await using var api = await TestApi.StartAsync();
        var running = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        using var response = await RetryAsync(api.Client, running);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Equal("Running", problem.GetProperty("jobStatus").GetString());
        api.Gates["a"].Release();
    }

    [Fact]
    public async Task Retry_OfAnAdHocJob_Is409()
    {
        await using var api = await TestApi.StartAsync();
        var scheduler = api.App.Services.GetRequiredService<IJobScheduler>();
        var job = await scheduler.StartAsync("ad-hoc-failure", (_, _) => Task.FromException(new InvalidOperationException("no")));
        await Assert.ThrowsAnyAsync<Exception>(() => job.Task);
        await api.WaitUntilFinishedAsync(job.Id);

        using var response = await RetryAsync(api.Client, job.Id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("ad-hoc", (await TestApi.ReadProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.RetryAsync(job.Id));
    }

    [Fact]
    public async Task Retry_OfAnotherOwnersJob_Is404_AnAdministratorMay_AndTheRetryKeepsTheOwner()
    {
        await using var api = await TestApi.StartAsync(options => options.AdministratorRole = "admin", addServices: HeaderAuthenticationHandler.Add);
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        using var admin = api.ClientFor("carol", "admin");
        using var started = await alice.PostAsync(new Uri("/api/jobs/failing", UriKind.Relative), TestApi.Json("{}"));
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();
        await WaitUntilFailedAsync(api, id);

        using var bobs = await RetryAsync(bob, id);
        using var admins = await RetryAsync(admin, id);

        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, admins.StatusCode);
        var retryId = (await TestApi.ReadJsonAsync(admins)).GetProperty("id").GetGuid();
        Assert.Equal("alice", (await api.Store.GetAsync(retryId))!.Owner);
    }

    [Fact]
    public async Task RetryAsync_InCode_ReturnsTheRetrysHandle_OrNullForAnUnknownJob()
    {
        await using var api = await TestApi.StartAsync();
        var scheduler = api.App.Services.GetRequiredService<IJobScheduler>();
        var failed = await scheduler.StartKindAsync("failing", new FailingRequest { Code = 3 });
        await Assert.ThrowsAnyAsync<Exception>(() => failed.Task);

        var retry = await scheduler.RetryAsync(failed.Id);
        var unknown = await scheduler.RetryAsync(Guid.NewGuid());

        Assert.NotNull(retry);
        Assert.Equal(failed.Id, retry.State.RetryOf);
        await Assert.ThrowsAnyAsync<Exception>(() => retry.Task);
        Assert.Null(unknown);
    }

    private static Task<HttpResponseMessage> RetryAsync(HttpClient client, Guid id) =>
        client.PostAsync(new Uri($"/api/jobs/{id}/retry", UriKind.Relative), content: null).WithSafetyTimeout();

    private static async Task WaitUntilFailedAsync(TestApi api, Guid id)
    {
        var job = await api.Store.GetAsync(id);
        while (job!.Status != LongJobs.Server.Jobs.JobStatus.Failed)
        {
            job = await api.Store.WaitForChangeAsync(id, job.Version).AsTask().WithSafetyTimeout();
        }
    }
}
