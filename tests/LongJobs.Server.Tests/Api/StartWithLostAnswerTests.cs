using System.Net;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// A start whose insert the store committed but whose answer was lost (the database became unreachable after the
/// INSERT was sent): a job that was stored is never answered with an error; when the store cannot even be read, the
/// 503 says that the job may exist, and a repeat with the same Idempotency-Key finds it.
/// </summary>
public sealed class StartWithLostAnswerTests
{
    [Fact]
    public async Task Start_WhenTheStoreLosesTheAnswerToAStoredJob_Returns202WithThatJob_WhichRuns()
    {
        FaultyJobStore? store = null;
        await using var api = await StartAsync(created => store = created);
        store!.InsertAnswersToLose = 1;

        using var response = await api.PostAsync("gated", """{"gateKey":"lost","value":4}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
        var stored = Assert.Single((await store.ListAsync(new JobQuery())).Items);
        Assert.Equal(stored.Id, id);
        api.Gates["lost"].Release();
        var state = await api.WaitUntilFinishedAsync(id);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(8, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Start_WhenTheAnswerIsLostAndTheStoreStaysUnreachable_Returns503SayingTheJobMayExist_AndTheSameKeyFindsIt()
    {
        FaultyJobStore? store = null;
        await using var api = await StartAsync(created => store = created);
        store!.InsertAnswersToLose = 1;
        store.GetUnavailable = true;
        const string body = """{"gateKey":"kept","value":1}""";

        using var unknown = await api.PostAsync("gated", body, ("Idempotency-Key", "order-17"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.NotNull(TestApi.RetryAfter(unknown));
        var detail = (await TestApi.ReadProblemAsync(unknown)).GetProperty("detail").GetString();
        Assert.Contains("may have stored the job", detail, StringComparison.Ordinal);
        Assert.Contains("same Idempotency-Key", detail, StringComparison.Ordinal);
        var stored = Assert.Single((await store.Inner.ListAsync(new JobQuery())).Items);

        store.GetUnavailable = false;
        using var repeated = await api.PostAsync("gated", body, ("Idempotency-Key", "order-17"));

        Assert.Equal(HttpStatusCode.Accepted, repeated.StatusCode);
        Assert.Equal(stored.Id, (await TestApi.ReadJsonAsync(repeated)).GetProperty("id").GetGuid());
        Assert.Single((await store.Inner.ListAsync(new JobQuery())).Items);
    }

    [Fact]
    public async Task Start_WhenTheStoreWasNeverReached_Returns503SayingTheJobWasNotStored_WithoutReadingItBack()
    {
        FaultyJobStore? store = null;
        await using var api = await StartAsync(created => store = created);
        store!.InsertUnreachable = true;
        store.GetUnavailable = true;

        using var response = await api.PostAsync("gated", """{"gateKey":"never"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(TestApi.RetryAfter(response));
        var detail = (await TestApi.ReadProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Equal("The job store cannot be reached for now, and the job was not stored. Repeat the request later.", detail);
        Assert.Empty((await store.Inner.ListAsync(new JobQuery())).Items);
    }

    [Fact]
    public async Task Start_WithoutAKey_WhenTheOutcomeIsUnknown_Returns503RecommendingAKey()
    {
        FaultyJobStore? store = null;
        await using var api = await StartAsync(created => store = created);
        store!.InsertAnswersToLose = 1;
        store.GetUnavailable = true;

        using var response = await api.PostAsync("gated", """{"gateKey":"kept"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var detail = (await TestApi.ReadProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Contains("send an Idempotency-Key", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdHocStart_WhenTheStoreLosesTheAnswerToAStoredJob_ReturnsTheRunningJob()
    {
        var time = new ObservedFakeTimeProvider();
        var store = new FaultyJobStore(time);
        await using var services = TestServices.Create(store: _ => store, time: time);
        store.InsertAnswersToLose = 1;

        var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(42)).WithSafetyTimeout();

        Assert.Equal(42, await job.Task.WithSafetyTimeout());
        Assert.Equal(job.Id, Assert.Single((await store.ListAsync(new JobQuery())).Items).Id);
    }

    /// <summary>The API on a <see cref="FaultyJobStore"/> shared with other servers (its queue is the store's), as PostgreSQL's.</summary>
    private static Task<TestApi> StartAsync(Action<FaultyJobStore> created) => TestApi.StartAsync(addServices: services =>
        services.AddSingleton<IJobStore>(provider =>
        {
            var store = new FaultyJobStore(provider.GetRequiredService<TimeProvider>(), durable: true);
            created(store);
            return store;
        }));
}
