using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>Kinds limited across servers (<c>runningLimits</c> of <see cref="IQueuedJobs.ClaimAsync"/>): claims never run more of them at once than their limit.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Claim_TakesNoMoreOfALimitedKindThanItsLimitLeaves_CountingItsRunningJobs_AndOtherKindsAsUsual()
    {
        var store = CreateStore();
        var (limited, other) = (UniqueKind(), UniqueKind());
        var limits = new Dictionary<string, int> { [limited] = 2 };
        for (var i = 0; i < 4; i++)
        {
            await store.InsertAsync(NewRegisteredJob(limited, T0.AddSeconds(i)));
        }

        await store.InsertAsync(NewRegisteredJob(other, T0.AddSeconds(10)));
        await store.InsertAsync(NewRegisteredJob(other, T0.AddSeconds(11)));

        var first = await store.ClaimAsync([limited, other], 10, T0.AddMinutes(1), limits);
        var none = await store.ClaimAsync([limited, other], 10, T0.AddMinutes(1), limits);
        var finished = first.First(job => job.Kind == limited);
        await store.TryFinishAsync(finished.Id, JobStatus.Running, finished.Attempt, Succeeded(T0.AddMinutes(2)));
        var next = await store.ClaimAsync([limited, other], 10, T0.AddMinutes(2), limits);

        Assert.Equal([limited, limited, other, other], first.Select(job => job.Kind));
        Assert.Empty(none);
        Assert.Equal([limited], next.Select(job => job.Kind));
        Assert.Equal(1, await store.CountQueuedAsync(10));
        Assert.Single(await store.ClaimAsync([limited], 10, T0.AddMinutes(3)));
    }

    [Fact]
    public async Task Claim_PassesOverALimitedKindsJobsBeyondItsRoom_AndTakesTheJobsWaitingBehindThem()
    {
        var store = CreateStore();
        var (limited, other) = (UniqueKind(), UniqueKind());
        var limits = new Dictionary<string, int> { [limited] = 1 };
        for (var i = 0; i < 3; i++)
        {
            await store.InsertAsync(NewRegisteredJob(limited, T0.AddSeconds(i)));
        }

        var others = new List<JobRecord>();
        for (var i = 0; i < 3; i++)
        {
            others.Add(await store.InsertAsync(NewRegisteredJob(other, T0.AddSeconds(10 + i))));
        }

        // Three slots: the first three waiting jobs are of the limited kind, which has room for one.
        var claimed = await store.ClaimAsync([limited, other], 3, T0.AddMinutes(1), limits);
        var rest = await store.ClaimAsync([limited, other], 3, T0.AddMinutes(1), limits);

        Assert.Equal([limited, other, other], claimed.Select(job => job.Kind));
        Assert.Equal(others.Take(2).Select(job => job.Id), claimed.Skip(1).Select(job => job.Id));
        Assert.Equal([others[2].Id], rest.Select(job => job.Id));
        Assert.Equal(2, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task Claim_CountsALimitedKindsJobsInsertedRunning_UntilTheyFinish()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var limits = new Dictionary<string, int> { [kind] = 1 };
        var running = await store.InsertStartedAsync(NewRegisteredJob(kind, T0), T0.AddSeconds(1));
        var waiting = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(2)));

        var none = await store.ClaimAsync([kind], 5, T0.AddSeconds(3), limits);
        await store.TryFinishAsync(running.Id, JobStatus.Running, running.Attempt, Succeeded(T0.AddSeconds(4)));
        var next = await store.ClaimAsync([kind], 5, T0.AddSeconds(5), limits);

        Assert.Empty(none);
        Assert.Equal([waiting.Id], next.Select(job => job.Id));
    }

    [Fact]
    public async Task ConcurrentClaims_OfALimitedKind_NeverRunMoreThanItsLimit()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var limits = new Dictionary<string, int> { [kind] = 3 };
        for (var i = 0; i < 12; i++)
        {
            await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(i)));
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await store.ClaimAsync([kind], 2, T0.AddMinutes(1), limits))));

        Assert.Equal(3, claims.Sum(claimed => claimed.Count));
        Assert.Equal(9, await store.CountQueuedAsync(100));
    }
}
