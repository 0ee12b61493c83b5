using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// Unique jobs (<see cref="JobRecord.UniqueKey"/>): at most one unfinished job of a kind per key, whoever starts it; a
/// finished job frees its key.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Insert_WithAUniqueKeyAnUnfinishedJobOfTheKindHolds_AddsNothingAndAnswersThatJob_WhateverTheOwner()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var first = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "customer-1", Owner = "alice" });

        var second = NewRegisteredJob(kind, T0.AddSeconds(1)) with { UniqueKey = "customer-1", Owner = "bob" };
        var answered = await store.InsertAsync(second);

        AssertSameJob(first, answered);
        Assert.Equal("customer-1", answered.UniqueKey);
        Assert.Null(await store.GetAsync(second.Id));
        Assert.Equal(1, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task Insert_WithTheSameUniqueKey_OfAnotherKind_OrWithAnotherKey_OrWithout_AddsAJob()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var first = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "customer-1" });

        var otherKind = await store.InsertAsync(NewRegisteredJob(UniqueKind(), T0.AddSeconds(1)) with { UniqueKey = "customer-1" });
        var otherKey = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(2)) with { UniqueKey = "customer-2" });
        var keyCase = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(3)) with { UniqueKey = "Customer-1" });
        var noKey = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(4)));

        Assert.Equal(5, new[] { first.Id, otherKind.Id, otherKey.Id, keyCase.Id, noKey.Id }.Distinct().Count());
        Assert.Equal(5, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task UniqueKey_IsHeldWhileTheJobIsScheduledQueuedOrRunning_AndFreedWhenItFinishes()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var scheduled = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "k", Status = JobStatus.Scheduled, NotBefore = T0.AddMinutes(1) });
        Assert.Equal(scheduled.Id, (await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(1)) with { UniqueKey = "k" })).Id);

        Assert.Equal(1, await store.QueueDueJobsAsync(T0.AddMinutes(1), 10));
        Assert.Equal(scheduled.Id, (await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(1)) with { UniqueKey = "k" })).Id);

        var running = Assert.Single(await store.ClaimAsync([kind], 1, T0.AddMinutes(2)));
        Assert.Equal(scheduled.Id, (await store.InsertAsync(NewRegisteredJob(kind, T0.AddMinutes(2)) with { UniqueKey = "k" })).Id);

        await store.TryFinishAsync(running.Id, JobStatus.Running, running.Attempt, Succeeded(T0.AddMinutes(3)));
        var next = NewRegisteredJob(kind, T0.AddMinutes(4)) with { UniqueKey = "k" };
        var inserted = await store.InsertAsync(next);

        Assert.Equal(next.Id, inserted.Id);
        Assert.Equal(JobStatus.Queued, inserted.Status);
    }

    [Fact]
    public async Task UniqueKey_OfAQueuedJobCancelled_IsFree()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var queued = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "k" });

        await store.RequestCancellationAsync(queued.Id, T0.AddSeconds(1));
        var next = NewRegisteredJob(kind, T0.AddSeconds(2)) with { UniqueKey = "k" };

        Assert.Equal(next.Id, (await store.InsertAsync(next)).Id);
    }

    [Fact]
    public async Task Insert_WithAnIdempotencyKeyItsOwnerUsed_AnswersThatJob_BeforeTheUniqueKeyIsLookedAt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var keyed = await InsertFinishedAsync(store, kind, T0, T0.AddSeconds(1));
        var idempotent = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(2)) with { IdempotencyKey = "retry-1", UniqueKey = "k" });
        var holder = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(3)) with { UniqueKey = "other" });

        // The owner's idempotency key wins over a unique key another job holds.
        var repeat = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(4)) with { IdempotencyKey = "retry-1", UniqueKey = "other" });

        Assert.NotEqual(keyed.Id, idempotent.Id);
        Assert.Equal(idempotent.Id, repeat.Id);
        Assert.NotEqual(holder.Id, repeat.Id);
    }

    [Fact]
    public async Task InsertMany_WithUniqueKeys_AddsOneJobPerKey_AnsweringLaterItemsWithTheJobOfAnEarlierOneOrOfTheStore()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var stored = await store.InsertAsync(NewRegisteredJob(kind, T0) with { UniqueKey = "a" });
        var items = new[]
        {
            NewRegisteredJob(kind, T0.AddSeconds(1)) with { UniqueKey = "a" },
            NewRegisteredJob(kind, T0.AddSeconds(2)) with { UniqueKey = "b" },
            NewRegisteredJob(kind, T0.AddSeconds(3)) with { UniqueKey = "b" },
            NewRegisteredJob(kind, T0.AddSeconds(4)),
        };

        var answers = await store.InsertManyAsync(items);

        Assert.Equal([stored.Id, items[1].Id, items[1].Id, items[3].Id], answers.Select(job => job.Id));
        Assert.Equal(3, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task ConcurrentInserts_WithOneUniqueKey_AddOneJob_AndAnswerEveryCallerWithIt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var jobs = Enumerable.Range(0, 30).Select(i => NewRegisteredJob(kind, T0.AddMilliseconds(i)) with { UniqueKey = "k", Owner = $"caller-{i % 3}" }).ToList();

        var answers = await Task.WhenAll(jobs.Select(job => Task.Run(async () => await store.InsertAsync(job))));

        var winner = Assert.Single(answers.Select(job => job.Id).Distinct());
        Assert.Contains(winner, jobs.Select(job => job.Id));
        Assert.Equal(1, await store.CountQueuedAsync(100));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public async Task Insert_WithAUniqueKeyEmptyOrTooLong_IsRefused(int length)
    {
        var store = CreateStore();
        var job = NewRegisteredJob(UniqueKind(), T0) with { UniqueKey = new string('k', length) };

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.InsertAsync(job));
        Assert.Null(await store.GetAsync(job.Id));
    }
}
