using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// Many jobs at once: bulk inserts (<see cref="IJobRecords.InsertManyAsync"/>), claims of many, and concurrent single
/// starts and finishes, which a store may coalesce into batches but must answer one by one, with every guarantee.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task InsertMany_StoresEveryJobQueuedInOrder()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var jobs = Enumerable.Range(0, 250).Select(i => NewRegisteredJob(kind, T0.AddMilliseconds(i)) with { Request = JsonSerializer.SerializeToElement(new { n = i }) }).ToList();

        var stored = await store.InsertManyAsync(jobs);

        Assert.Equal(jobs.Select(job => job.Id), stored.Select(job => job.Id));
        Assert.All(stored, job => Assert.Equal(JobStatus.Queued, job.Status));
        var read = await store.GetAsync(jobs[137].Id);
        Assert.Equal(137, read!.Request!.Value.GetProperty("n").GetInt32());
        var claimed = await store.ClaimAsync([kind], 1_000, T0.AddSeconds(1));
        Assert.Equal(jobs.Select(job => job.Id), claimed.Select(job => job.Id));
    }

    [Fact]
    public async Task InsertMany_WithKeysTakenBeforeAndWithinTheBatch_AddsOneJobPerKey()
    {
        var store = CreateStore();
        var earlier = await store.InsertAsync(NewJob("k", T0) with { IdempotencyKey = "taken", Owner = "alice" });
        JobRecord[] jobs =
        [
            NewJob("k", T0.AddSeconds(1)) with { IdempotencyKey = "taken", Owner = "alice" },
            NewJob("k", T0.AddSeconds(2)) with { IdempotencyKey = "fresh", Owner = "alice" },
            NewJob("k", T0.AddSeconds(3)) with { IdempotencyKey = "fresh", Owner = "alice" },
            NewJob("k", T0.AddSeconds(4)) with { IdempotencyKey = "fresh", Owner = "bob" },
            NewJob("k", T0.AddSeconds(5)),
        ];

        var stored = await store.InsertManyAsync(jobs);

        Assert.Equal(earlier.Id, stored[0].Id);
        Assert.Equal(jobs[1].Id, stored[1].Id);
        Assert.Equal(jobs[1].Id, stored[2].Id);
        Assert.Equal(jobs[3].Id, stored[3].Id);
        Assert.Equal(jobs[4].Id, stored[4].Id);
        Assert.Null(await store.GetAsync(jobs[0].Id));
        Assert.Null(await store.GetAsync(jobs[2].Id));
    }

    [Fact]
    public async Task InsertMany_WithAnIdTakenOrRepeated_ThrowsAndAddsNoneOfTheNewOnes()
    {
        var store = CreateStore();
        var existing = await store.InsertAsync(NewJob("first", T0));
        var fresh = NewJob("k", T0.AddSeconds(1));

        await Assert.ThrowsAnyAsync<Exception>(async () => await store.InsertManyAsync([fresh, fresh with { Kind = "other" }]));
        Assert.Null(await store.GetAsync(fresh.Id));
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.InsertManyAsync([NewJob("second", T0) with { Id = existing.Id }]));
        Assert.Equal("first", (await store.GetAsync(existing.Id))!.Kind);
    }

    [Fact]
    public async Task InsertMany_Empty_ReturnsEmpty()
    {
        var store = CreateStore();

        Assert.Empty(await store.InsertManyAsync([]));
    }

    [Fact]
    public async Task ConcurrentInserts_RacingForKeys_AddOneJobPerKeyAndAnswerEachCallerWithIt()
    {
        var store = CreateStore();
        var jobs = Enumerable.Range(0, 400).Select(i => NewJob("k", T0.AddMilliseconds(i)) with { IdempotencyKey = $"key-{i % 40}" }).ToList();

        var stored = await Task.WhenAll(jobs.Select(job => Task.Run(async () => await store.InsertAsync(job))));

        var winners = stored.GroupBy(job => job.IdempotencyKey).ToList();
        Assert.Equal(40, winners.Count);
        Assert.All(winners, group => Assert.Single(group.Select(job => job.Id).Distinct()));
        Assert.Equal(40, (await Task.WhenAll(jobs.Select(async job => await store.GetAsync(job.Id)))).Count(job => job is not null));
    }

    [Fact]
    public async Task ConcurrentFinishes_EachJobFinishesOnceAndOnlyInItsAttempt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await store.InsertManyAsync([.. Enumerable.Range(0, 300).Select(i => NewRegisteredJob(kind, T0.AddMilliseconds(i)))]);
        var running = await store.ClaimAsync([kind], 300, T0.AddSeconds(1));
        Assert.Equal(300, running.Count);

        // Each job gets two finishes of its attempt and one of a wrong attempt, all at once.
        var finishes = running.SelectMany(job => new[]
        {
            (Job: job, Attempt: job.Attempt, Result: "1"),
            (Job: job, Attempt: job.Attempt, Result: "2"),
            (Job: job, Attempt: job.Attempt + 1, Result: "3"),
        }).ToList();
        var answers = await Task.WhenAll(finishes.Select(finish => Task.Run(async () =>
            (finish.Job.Id, finish.Result, Snapshot: await store.TryFinishAsync(finish.Job.Id, JobStatus.Running, finish.Attempt, Succeeded(T0.AddSeconds(2), finish.Result))))));

        foreach (var job in running)
        {
            var won = Assert.Single(answers, answer => answer.Id == job.Id && answer.Snapshot is not null);
            Assert.NotEqual("3", won.Result);
            var read = await store.GetAsync(job.Id);
            Assert.Equal(JobStatus.Succeeded, read!.Status);
            Assert.Equal(won.Result, read.Result!.Value.GetRawText());
            Assert.Equal(won.Snapshot!.Version, read.Version);
        }
    }

    [Fact]
    public async Task ConcurrentProgressReports_AreRecordedOnlyInTheirAttempt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await store.InsertManyAsync([.. Enumerable.Range(0, 100).Select(i => NewRegisteredJob(kind, T0.AddMilliseconds(i)))]);
        var running = await store.ClaimAsync([kind], 100, T0.AddSeconds(1));

        var answers = await Task.WhenAll(running.SelectMany(job => new[] { (Job: job, Attempt: job.Attempt), (Job: job, Attempt: job.Attempt + 1) })
            .Select(report => Task.Run(async () => (report.Job, report.Attempt, Snapshot: await store.TryReportProgressAsync(report.Job.Id, report.Attempt, 0.5, $"step of {report.Job.Id}")))));

        Assert.All(answers, answer => Assert.Equal(answer.Attempt == answer.Job.Attempt, answer.Snapshot is not null));
        foreach (var job in running)
        {
            var read = await store.GetAsync(job.Id);
            Assert.Equal((0.5, $"step of {job.Id}", JobStatus.Running), (read!.Progress, read.ProgressMessage, read.Status));
        }
    }
}
