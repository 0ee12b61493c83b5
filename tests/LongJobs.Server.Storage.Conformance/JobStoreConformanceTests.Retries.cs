using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>Retries (<see cref="JobRecord.RetryOf"/>): the link a retry is inserted with, kept through its life.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Insert_ARetry_KeepsTheLinkToTheJobItRetries_ThroughGetListAndItsRun()
    {
        var store = CreateStore();
        var original = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(1));
        var retry = NewRegisteredJob("k", T0.AddSeconds(2)) with { RetryOf = original.Id };

        var inserted = await store.InsertAsync(retry);
        var claimed = Assert.Single(await store.ClaimAsync(["k"], 1, T0.AddSeconds(3)));
        var finished = await store.TryFinishAsync(retry.Id, JobStatus.Running, claimed.Attempt, Succeeded(T0.AddSeconds(4)));
        var listed = (await store.ListAsync(new JobQuery { Kind = "k" })).Items;

        Assert.Equal(original.Id, inserted.RetryOf);
        Assert.Equal(original.Id, claimed.RetryOf);
        Assert.Equal(original.Id, finished!.RetryOf);
        Assert.Equal(original.Id, (await store.GetAsync(retry.Id))!.RetryOf);
        Assert.Equal(original.Id, listed.Single(job => job.Id == retry.Id).RetryOf);
        Assert.Null(listed.Single(job => job.Id == original.Id).RetryOf);
        Assert.Equal(JobStatus.Succeeded, (await store.GetAsync(original.Id))!.Status);
    }
}
