using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// The <see cref="IJobStore"/> contract, run against every store: derive, return a new empty store from
/// <see cref="CreateStore"/>, and every test here runs against it. Only the contract is tested here;
/// what one store does beyond it belongs in the derived class.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store for one test.</summary>
    protected abstract IJobStore CreateStore();

    [Fact]
    public async Task Insert_NewJob_StoresItQueuedAndReadable()
    {
        var store = CreateStore();
        var request = JsonSerializer.SerializeToElement(new { seconds = 3 });
        var job = NewJob("sleep", T0) with { Request = request };

        var inserted = await store.InsertAsync(job);
        var read = await store.GetAsync(job.Id);

        Assert.Equal(JobStatus.Queued, inserted.Status);
        Assert.NotNull(read);
        Assert.Equal(job.Id, read.Id);
        Assert.Equal("sleep", read.Kind);
        Assert.Equal(JobStatus.Queued, read.Status);
        Assert.Equal(T0, read.CreatedAt);
        Assert.Null(read.StartedAt);
        Assert.Null(read.CompletedAt);
        Assert.False(read.CancellationRequested);
        Assert.Equal(3, read.Request!.Value.GetProperty("seconds").GetInt32());
        Assert.Equal(inserted.Version, read.Version);
    }

    [Fact]
    public async Task Insert_WithExistingId_ThrowsAndKeepsTheFirstJob()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("first", T0));

        await Assert.ThrowsAnyAsync<Exception>(async () => await store.InsertAsync(NewJob("second", T0) with { Id = job.Id }));

        Assert.Equal("first", (await store.GetAsync(job.Id))!.Kind);
    }

    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.GetAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task TryStart_WhenQueued_MovesToRunningWithStartTime()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));

        var running = await store.TryStartAsync(job.Id, T0.AddSeconds(1));

        Assert.NotNull(running);
        Assert.Equal(JobStatus.Running, running.Status);
        Assert.Equal(T0.AddSeconds(1), running.StartedAt);
        Assert.Equal(JobStatus.Running, (await store.GetAsync(job.Id))!.Status);
    }

    [Fact]
    public async Task TryStart_WhenAlreadyRunning_ReturnsNullAndChangesNothing()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));
        var running = await store.TryStartAsync(job.Id, T0.AddSeconds(1));

        var again = await store.TryStartAsync(job.Id, T0.AddSeconds(2));

        Assert.Null(again);
        AssertSameJob(running, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task TryStart_WhenCanceledWhileQueued_ReturnsNull()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));
        var canceled = await store.TryFinishAsync(job.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));

        Assert.Null(await store.TryStartAsync(job.Id, T0.AddSeconds(2)));
        AssertSameJob(canceled, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task TryStart_UnknownId_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.TryStartAsync(Guid.NewGuid(), T0));
    }

    [Fact]
    public async Task TryReportProgress_WhileRunning_RecordsFractionAndMessage()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);

        var updated = await store.TryReportProgressAsync(job.Id, 1, 0.25, "a quarter");

        Assert.NotNull(updated);
        Assert.Equal(0.25, updated.Progress);
        Assert.Equal("a quarter", updated.ProgressMessage);
        Assert.Equal(JobStatus.Running, updated.Status);
        var read = await store.GetAsync(job.Id);
        Assert.Equal(0.25, read!.Progress);
        Assert.Equal("a quarter", read.ProgressMessage);
    }

    [Fact]
    public async Task TryReportProgress_WhileQueued_ReturnsNullAndChangesNothing()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));

        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.5, "early"));
        AssertSameJob(job, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task TryReportProgress_WhenFinished_ReturnsNullAndChangesNothing()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(5)));

        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.5, "late"));
        AssertSameJob(finished, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task TryFinish_FromRunningAsSucceeded_RecordsResultAndCompletionTime()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);

        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(5), """{"answer":42}"""));

        Assert.NotNull(finished);
        Assert.Equal(JobStatus.Succeeded, finished.Status);
        Assert.Equal(T0.AddSeconds(5), finished.CompletedAt);
        Assert.Equal(T0.AddSeconds(1), finished.StartedAt);
        Assert.Null(finished.Error);
        var read = await store.GetAsync(job.Id);
        Assert.Equal(42, read!.Result!.Value.GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task TryFinish_FromRunningAsFailed_RecordsError()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var error = new JobError("urn:test:failed", "It failed.", "Because.", "System.InvalidOperationException");

        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Failed, T0.AddSeconds(5), Error: error));

        Assert.NotNull(finished);
        Assert.Equal(JobStatus.Failed, finished.Status);
        Assert.Equal(error, (await store.GetAsync(job.Id))!.Error);
        Assert.Null((await store.GetAsync(job.Id))!.Result);
    }

    [Fact]
    public async Task TryFinish_FromQueuedAsCanceled_FinishesAJobThatNeverStarted()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));

        var canceled = await store.TryFinishAsync(job.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));

        Assert.NotNull(canceled);
        Assert.Equal(JobStatus.Canceled, canceled.Status);
        Assert.Null(canceled.StartedAt);
        Assert.Equal(T0.AddSeconds(1), canceled.CompletedAt);
    }

    [Fact]
    public async Task TryFinish_WhenNotInExpectedStatus_ReturnsNullAndChangesNothing()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var before = await store.GetAsync(job.Id);

        var result = await store.TryFinishAsync(job.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(2)));

        Assert.Null(result);
        AssertSameJob(before, await store.GetAsync(job.Id));
    }

    [Theory]
    [InlineData(JobStatus.Running)]
    [InlineData(JobStatus.Succeeded)]
    public async Task TryFinish_WhenAlreadyFinished_NeverChangesTheJob(JobStatus expectedStatus)
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(5), "1"));

        var second = await store.TryFinishAsync(job.Id, expectedStatus, 1, new JobOutcome(JobStatus.Failed, T0.AddSeconds(6), Error: new JobError("urn:x", "x")));

        Assert.Null(second);
        var read = await store.GetAsync(job.Id);
        Assert.Equal(JobStatus.Succeeded, read!.Status);
        Assert.Equal(finished!.Version, read.Version);
        Assert.Null(read.Error);
    }

    [Fact]
    public async Task TryFinish_UnknownId_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.TryFinishAsync(Guid.NewGuid(), JobStatus.Running, 1, Succeeded(T0)));
    }

    [Fact]
    public async Task Version_IncreasesWithEveryChange()
    {
        var store = CreateStore();
        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await store.TryStartAsync(queued.Id, T0.AddSeconds(1));
        var progressed = await store.TryReportProgressAsync(queued.Id, 1, 0.5, null);
        var canceling = await store.RequestCancellationAsync(queued.Id, T0.AddSeconds(1));
        var finished = await store.TryFinishAsync(queued.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(2)));

        long[] versions = [queued.Version, running!.Version, progressed!.Version, canceling!.Version, finished!.Version];

        Assert.True(versions.Zip(versions.Skip(1)).All(pair => pair.Second > pair.First), $"Versions must increase: {string.Join(", ", versions)}");
        Assert.Equal(finished.Version, (await store.GetAsync(queued.Id))!.Version);
    }

    [Fact]
    public async Task RequestCancellation_WhenRunning_MarksItAndKeepsItRunning()
    {
        var store = CreateStore();
        var running = await InsertRunningAsync(store, "k", T0);

        var after = await store.RequestCancellationAsync(running.Id, T0.AddSeconds(1));

        Assert.True(after!.CancellationRequested);
        Assert.Equal(JobStatus.Running, after.Status);
        Assert.True((await store.GetAsync(running.Id))!.CancellationRequested);
    }

    [Fact]
    public async Task RequestCancellation_WhenQueued_CancelsItAtOnceAndTakesItOffTheQueue()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var queued = await store.InsertAsync(NewRegisteredJob(kind, T0));

        var after = await store.RequestCancellationAsync(queued.Id, T0.AddSeconds(1));

        Assert.Equal(JobStatus.Canceled, after!.Status);
        Assert.Equal(T0.AddSeconds(1), after.CompletedAt);
        Assert.Equal(0, after.Attempt);
        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(2)));
        Assert.Null(await store.TryStartAsync(queued.Id, T0.AddSeconds(2)));
    }

    [Fact]
    public async Task RequestCancellation_Twice_KeepsTheJobMarked()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var first = await store.RequestCancellationAsync(job.Id, T0.AddSeconds(1));

        var again = await store.RequestCancellationAsync(job.Id, T0.AddSeconds(1));

        Assert.True(again!.CancellationRequested);
        Assert.Equal(JobStatus.Running, again.Status);
        Assert.Equal(first!.Version, again.Version);
    }

    [Fact]
    public async Task RequestCancellation_WhenFinished_ReturnsTheJobUnchanged()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(2)));

        var after = await store.RequestCancellationAsync(job.Id, T0.AddSeconds(1));

        AssertSameJob(finished, after);
        AssertSameJob(finished, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task RequestCancellation_UnknownId_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.RequestCancellationAsync(Guid.NewGuid(), T0.AddSeconds(1)));
    }

    [Fact]
    public async Task WaitForChange_WhenStoredVersionIsNewer_ReturnsItAtOnce()
    {
        var store = CreateStore();
        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await store.TryStartAsync(queued.Id, T0);

        var seen = await store.WaitForChangeAsync(queued.Id, queued.Version).WithSafetyTimeout();

        AssertSameJob(running, seen);
    }

    [Fact]
    public async Task WaitForChange_WhenTheJobChanges_WakesWithTheNewSnapshot()
    {
        var store = CreateStore();
        var queued = await store.InsertAsync(NewJob("k", T0));
        var waiting = store.WaitForChangeAsync(queued.Id, queued.Version).AsTask();
        Assert.False(waiting.IsCompleted);

        var running = await store.TryStartAsync(queued.Id, T0.AddSeconds(1));
        var seen = await waiting.WithSafetyTimeout();

        AssertSameJob(running, seen);
    }

    [Fact]
    public async Task WaitForChange_WhenCanceled_Throws()
    {
        var store = CreateStore();
        var queued = await store.InsertAsync(NewJob("k", T0));
        using var cancellation = new CancellationTokenSource();
        var waiting = store.WaitForChangeAsync(queued.Id, queued.Version, cancellation.Token).AsTask();

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WithSafetyTimeout());
    }

    [Fact]
    public async Task WaitForChange_UnknownId_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.WaitForChangeAsync(Guid.NewGuid(), 0).WithSafetyTimeout());
    }

    [Fact]
    public async Task WaitForChange_WhenTheJobIsRemoved_ReturnsNull()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(1)));
        var waiting = store.WaitForChangeAsync(job.Id, finished!.Version).AsTask();
        Assert.False(waiting.IsCompleted);

        await store.DeleteFinishedAsync(T0.AddSeconds(2), keepAtMost: 100);

        Assert.Null(await waiting.WithSafetyTimeout());
    }

    [Fact]
    public async Task List_ReturnsJobsNewestFirst()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await store.InsertAsync(NewJob(kind, T0.AddSeconds(i)))).Id);
        }

        var page = await store.ListAsync(new JobQuery { Kind = kind, PageSize = 10 });

        Assert.Equal(Enumerable.Reverse(ids), page.Items.Select(job => job.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task List_FiltersByStatusAndKind()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var other = UniqueKind();
        var queued = await store.InsertAsync(NewJob(kind, T0));
        var running = await InsertRunningAsync(store, kind, T0.AddSeconds(1));
        var succeeded = await InsertRunningAsync(store, kind, T0.AddSeconds(2));
        await store.TryFinishAsync(succeeded.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(3)));
        var otherKind = await InsertRunningAsync(store, other, T0.AddSeconds(4));

        var ofKind = await store.ListAsync(new JobQuery { Kind = kind });
        var runningOfKind = await store.ListAsync(new JobQuery { Kind = kind, Status = JobStatus.Running });
        var succeededOfKind = await store.ListAsync(new JobQuery { Kind = kind, Status = JobStatus.Succeeded });
        var runningOfOther = await store.ListAsync(new JobQuery { Kind = other, Status = JobStatus.Running });
        var allRunning = await store.ListAsync(new JobQuery { Status = JobStatus.Running });

        Assert.Equal([succeeded.Id, running.Id, queued.Id], ofKind.Items.Select(job => job.Id));
        Assert.Equal([running.Id], runningOfKind.Items.Select(job => job.Id));
        Assert.Equal([succeeded.Id], succeededOfKind.Items.Select(job => job.Id));
        Assert.Equal([otherKind.Id], runningOfOther.Items.Select(job => job.Id));
        Assert.Contains(allRunning.Items, job => job.Id == running.Id);
        Assert.Contains(allRunning.Items, job => job.Id == otherKind.Id);
        Assert.All(allRunning.Items, job => Assert.Equal(JobStatus.Running, job.Status));
    }

    [Fact]
    public async Task List_PagingWithTheCursor_ReturnsEveryJobOnceInOrder()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var inserted = new List<JobRecord>();
        for (var i = 0; i < 11; i++)
        {
            // Several jobs share a creation time: the cursor must break ties without skipping or repeating.
            inserted.Add(await store.InsertAsync(NewJob(kind, T0.AddSeconds(i / 3))));
        }

        var seen = new List<JobRecord>();
        JobCursor? after = null;
        var pages = 0;
        do
        {
            var page = await store.ListAsync(new JobQuery { Kind = kind, PageSize = 3, After = after });
            Assert.True(page.Items.Count is > 0 and <= 3, $"Page {pages} has {page.Items.Count} items.");
            seen.AddRange(page.Items);
            after = page.Next;
            pages++;
        }
        while (after is not null && pages < 20);

        Assert.Equal(4, pages);
        Assert.Equal(inserted.Select(job => job.Id).Order(), seen.Select(job => job.Id).Order());
        Assert.Equal(seen.Count, seen.Select(job => job.Id).Distinct().Count());
        Assert.Equal(seen.Select(job => job.CreatedAt).OrderDescending(), seen.Select(job => job.CreatedAt));
    }

    [Fact]
    public async Task List_WhenNothingMatches_ReturnsAnEmptyLastPage()
    {
        var store = CreateStore();

        var page = await store.ListAsync(new JobQuery { Kind = UniqueKind() });

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Insert_WithAnIdempotencyKeyAlreadyTaken_ReturnsTheFirstJobAndAddsNothing()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var first = await store.InsertAsync(NewJob("k", T0) with { IdempotencyKey = key });

        var second = NewJob("k", T0.AddSeconds(1)) with { IdempotencyKey = key };
        var returned = await store.InsertAsync(second);

        Assert.Equal(first.Id, returned.Id);
        Assert.Equal(key, returned.IdempotencyKey);
        Assert.Null(await store.GetAsync(second.Id));
    }

    [Fact]
    public async Task Insert_WithDifferentIdempotencyKeys_AddsEveryJob()
    {
        var store = CreateStore();

        var first = await store.InsertAsync(NewJob("k", T0) with { IdempotencyKey = "a-" + Guid.NewGuid() });
        var second = await store.InsertAsync(NewJob("k", T0) with { IdempotencyKey = "b-" + Guid.NewGuid() });
        var third = await store.InsertAsync(NewJob("k", T0));

        Assert.Equal(3, new[] { first.Id, second.Id, third.Id }.Distinct().Count());
        Assert.NotNull(await store.GetAsync(second.Id));
    }

    [Fact]
    public async Task Insert_ManyAtOnceWithOneIdempotencyKey_AddsOneJob()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var kind = UniqueKind();

        var inserted = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await store.InsertAsync(NewJob(kind, T0.AddSeconds(i)) with { IdempotencyKey = key }))));

        Assert.Single(inserted.Select(job => job.Id).Distinct());
        var page = await store.ListAsync(new JobQuery { Kind = kind, PageSize = 100 });
        Assert.Single(page.Items);
    }

    [Fact]
    public async Task Insert_WithTheKeyOfARemovedJob_AddsANewJob()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var first = await store.InsertAsync(NewJob("k", T0) with { IdempotencyKey = key });
        await store.TryFinishAsync(first.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));
        await store.DeleteFinishedAsync(T0.AddMinutes(1), keepAtMost: 100);

        var again = await store.InsertAsync(NewJob("k", T0.AddMinutes(2)) with { IdempotencyKey = key });

        Assert.NotEqual(first.Id, again.Id);
        Assert.NotNull(await store.GetAsync(again.Id));
    }

    [Fact]
    public async Task Insert_WithAnOwner_KeepsItInEverySnapshot()
    {
        var store = CreateStore();
        var owner = "user-" + Guid.NewGuid();
        var job = NewJob("k", T0) with { Owner = owner, Request = JsonSerializer.SerializeToElement(new { n = 1 }) };

        var inserted = await store.InsertAsync(job);
        var running = await store.TryStartAsync(job.Id, T0.AddSeconds(1));
        var progressed = await store.TryReportProgressAsync(job.Id, 1, 0.5, "half");
        var asked = await store.RequestCancellationAsync(job.Id, T0.AddSeconds(2));
        var finished = await store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(3)));

        Assert.All([inserted, running, progressed, asked, finished, await store.GetAsync(job.Id)], snapshot => Assert.Equal(owner, snapshot?.Owner));
        Assert.Null((await store.InsertAsync(NewJob("k", T0))).Owner);
    }

    [Fact]
    public async Task Insert_WithAnEmptyOwner_Throws()
    {
        var store = CreateStore();

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.InsertAsync(NewJob("k", T0) with { Owner = "" }));
    }

    [Fact]
    public async Task List_FiltersByOwner()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var (alice, bob) = ("alice-" + Guid.NewGuid(), "bob-" + Guid.NewGuid());
        var ofAlice = await store.InsertAsync(NewJob(kind, T0) with { Owner = alice });
        var ofBob = await store.InsertAsync(NewJob(kind, T0.AddSeconds(1)) with { Owner = bob });
        var ofNobody = await store.InsertAsync(NewJob(kind, T0.AddSeconds(2)));
        var alicesSecond = await InsertRunningAsync(store, kind, T0.AddSeconds(3), alice);

        var aliceLists = await store.ListAsync(new JobQuery { Kind = kind, Owner = alice });
        var aliceListsRunning = await store.ListAsync(new JobQuery { Kind = kind, Owner = alice, Status = JobStatus.Running });
        var bobLists = await store.ListAsync(new JobQuery { Kind = kind, Owner = bob });
        var nobodyLists = await store.ListAsync(new JobQuery { Kind = kind, Owner = JobQuery.NoOwner });
        var anyoneLists = await store.ListAsync(new JobQuery { Kind = kind });
        var strangerLists = await store.ListAsync(new JobQuery { Kind = kind, Owner = "stranger-" + Guid.NewGuid() });

        Assert.Equal([alicesSecond.Id, ofAlice.Id], aliceLists.Items.Select(job => job.Id));
        Assert.All(aliceLists.Items, job => Assert.Equal(alice, job.Owner));
        Assert.Equal([alicesSecond.Id], aliceListsRunning.Items.Select(job => job.Id));
        Assert.Equal([ofBob.Id], bobLists.Items.Select(job => job.Id));
        Assert.Equal([ofNobody.Id], nobodyLists.Items.Select(job => job.Id));
        Assert.Equal([alicesSecond.Id, ofNobody.Id, ofBob.Id, ofAlice.Id], anyoneLists.Items.Select(job => job.Id));
        Assert.Empty(strangerLists.Items);
    }

    [Fact]
    public async Task List_ByOwnerWithTheCursor_ReturnsEveryJobOfTheOwnerOnce()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var owner = "user-" + Guid.NewGuid();
        var owned = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            owned.Add((await store.InsertAsync(NewJob(kind, T0.AddSeconds(i)) with { Owner = owner })).Id);
            await store.InsertAsync(NewJob(kind, T0.AddSeconds(i)) with { Owner = "other-" + Guid.NewGuid() });
        }

        var seen = new List<Guid>();
        JobCursor? after = null;
        do
        {
            var page = await store.ListAsync(new JobQuery { Kind = kind, Owner = owner, PageSize = 3, After = after });
            seen.AddRange(page.Items.Select(job => job.Id));
            after = page.Next;
        }
        while (after is not null && seen.Count < 100);

        Assert.Equal(Enumerable.Reverse(owned), seen);
    }

    [Fact]
    public async Task Insert_WithOneIdempotencyKeyForTwoOwners_AddsAJobForEach()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var (alice, bob) = ("alice-" + Guid.NewGuid(), "bob-" + Guid.NewGuid());

        var ofAlice = await store.InsertAsync(NewJob("k", T0) with { Owner = alice, IdempotencyKey = key });
        var ofBob = await store.InsertAsync(NewJob("k", T0.AddSeconds(1)) with { Owner = bob, IdempotencyKey = key });
        var ofNobody = await store.InsertAsync(NewJob("k", T0.AddSeconds(2)) with { IdempotencyKey = key });
        var alicesAgain = await store.InsertAsync(NewJob("k", T0.AddSeconds(3)) with { Owner = alice, IdempotencyKey = key });
        var nobodysAgain = await store.InsertAsync(NewJob("k", T0.AddSeconds(4)) with { IdempotencyKey = key });

        Assert.Equal(3, new[] { ofAlice.Id, ofBob.Id, ofNobody.Id }.Distinct().Count());
        Assert.Equal((alice, bob, (string?)null), (ofAlice.Owner, ofBob.Owner, ofNobody.Owner));
        Assert.Equal(ofAlice.Id, alicesAgain.Id);
        Assert.Equal(ofNobody.Id, nobodysAgain.Id);
    }

    [Fact]
    public async Task Insert_WithTheKeyOfAnotherOwnersRemovedJob_KeepsTheOwnersKeysApart()
    {
        var store = CreateStore();
        var key = "key-" + Guid.NewGuid();
        var (alice, bob) = ("alice-" + Guid.NewGuid(), "bob-" + Guid.NewGuid());
        var ofAlice = await store.InsertAsync(NewJob("k", T0) with { Owner = alice, IdempotencyKey = key });
        var ofBob = await store.InsertAsync(NewJob("k", T0) with { Owner = bob, IdempotencyKey = key });
        await store.TryFinishAsync(ofAlice.Id, JobStatus.Queued, 0, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(1)));
        await store.DeleteFinishedAsync(T0.AddMinutes(1), keepAtMost: 100);

        var alicesNew = await store.InsertAsync(NewJob("k", T0.AddMinutes(2)) with { Owner = alice, IdempotencyKey = key });
        var bobsAgain = await store.InsertAsync(NewJob("k", T0.AddMinutes(2)) with { Owner = bob, IdempotencyKey = key });

        Assert.NotEqual(ofAlice.Id, alicesNew.Id);
        Assert.Equal(ofBob.Id, bobsAgain.Id);
    }

    [Fact]
    public async Task List_ReturnsJobsWithoutTheirRequestsAndResults()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = await store.InsertAsync(NewJob(kind, T0) with { Request = JsonSerializer.SerializeToElement(new { big = "request" }) });
        await store.TryStartAsync(job.Id, T0.AddSeconds(1));
        await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(2), """{"big":"result"}"""));

        var listed = Assert.Single((await store.ListAsync(new JobQuery { Kind = kind })).Items);

        Assert.Equal(job.Id, listed.Id);
        Assert.Equal(JobStatus.Succeeded, listed.Status);
        Assert.Null(listed.Request);
        Assert.Null(listed.Result);
        Assert.NotNull((await store.GetAsync(job.Id))!.Result);
    }

    [Fact]
    public async Task DeleteFinished_ByTime_RemovesOnlyJobsFinishedBeforeTheInstant()
    {
        var store = CreateStore();
        var old = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));
        var recent = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(10));
        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await InsertRunningAsync(store, "k", T0);

        var removed = await store.DeleteFinishedAsync(T0.AddMinutes(5), keepAtMost: 100);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(old.Id));
        Assert.NotNull(await store.GetAsync(recent.Id));
        Assert.NotNull(await store.GetAsync(queued.Id));
        Assert.NotNull(await store.GetAsync(running.Id));
    }

    [Fact]
    public async Task DeleteFinished_ByTime_RemovesEveryExpiredJobWhateverOrderTheyFinishedIn()
    {
        var store = CreateStore();

        // Recorded in this order, but the second finished earlier: clocks of several servers, or two jobs
        // racing to record their outcome, do not follow the order of the writes.
        var later = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(10));
        var earlier = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));

        var removed = await store.DeleteFinishedAsync(T0.AddMinutes(5), keepAtMost: 100);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetAsync(earlier.Id));
        Assert.NotNull(await store.GetAsync(later.Id));
    }

    [Fact]
    public async Task DeleteFinished_ByCount_KeepsTheNewestFinishedJobsAndEveryUnfinishedOne()
    {
        var store = CreateStore();
        var finished = new List<JobRecord>();
        for (var i = 0; i < 5; i++)
        {
            finished.Add(await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(i)));
        }

        var queued = await store.InsertAsync(NewJob("k", T0));
        var running = await InsertRunningAsync(store, "k", T0);

        var removed = await store.DeleteFinishedAsync(DateTimeOffset.MinValue, keepAtMost: 2);

        Assert.Equal(3, removed);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i >= 3, await store.GetAsync(finished[i].Id) is not null);
        }

        Assert.NotNull(await store.GetAsync(queued.Id));
        Assert.NotNull(await store.GetAsync(running.Id));
    }

    [Fact]
    public async Task DeleteFinished_WhenNothingExpired_RemovesNothing()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, finishedAt: T0.AddMinutes(1));

        var removed = await store.DeleteFinishedAsync(T0, keepAtMost: 10);

        Assert.Equal(0, removed);
        Assert.NotNull(await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task Insert_KeepsMaxAttemptsAndStartsAtAttemptZero()
    {
        var store = CreateStore();

        var job = await store.InsertAsync(NewRegisteredJob("k", T0) with { MaxAttempts = 4 });

        Assert.Equal(0, job.Attempt);
        Assert.Equal(4, job.MaxAttempts);
        Assert.Equal(4, (await store.GetAsync(job.Id))!.MaxAttempts);
    }

    [Fact]
    public async Task CountQueued_CountsQueuedJobsOfEveryKindUpToTheLimit()
    {
        var store = CreateStore();
        await store.InsertAsync(NewRegisteredJob("a", T0));
        await store.InsertAsync(NewJob("ad-hoc", T0));
        await store.InsertAsync(NewRegisteredJob("b", T0));
        await InsertRunningAsync(store, "a", T0);

        Assert.Equal(3, await store.CountQueuedAsync(100));
        Assert.Equal(2, await store.CountQueuedAsync(2));
    }

    [Fact]
    public async Task Claim_TakesTheOldestJobsOfTheGivenKindsAndStartsThem()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var other = UniqueKind();
        var second = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(2)));
        var first = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(1)));
        await store.InsertAsync(NewRegisteredJob(other, T0));
        var third = await store.InsertAsync(NewRegisteredJob(kind, T0.AddSeconds(3)));

        var claimed = await store.ClaimAsync([kind], 2, T0.AddSeconds(10));

        Assert.Equal([first.Id, second.Id], claimed.Select(job => job.Id));
        Assert.All(claimed, job =>
        {
            Assert.Equal(JobStatus.Running, job.Status);
            Assert.Equal(1, job.Attempt);
            Assert.Equal(T0.AddSeconds(10), job.StartedAt);
        });
        AssertSameJob(claimed[0], await store.GetAsync(first.Id));
        Assert.Equal(2, await store.CountQueuedAsync(100));
        Assert.Equal([third.Id], (await store.ClaimAsync([kind], 5, T0.AddSeconds(11))).Select(job => job.Id));
        Assert.Empty(await store.ClaimAsync([kind], 5, T0.AddSeconds(12)));
    }

    [Fact]
    public async Task Claim_NeverTakesAdHocJobs()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var adHoc = await store.InsertAsync(NewJob(kind, T0));

        Assert.Empty(await store.ClaimAsync([kind], 10, T0.AddSeconds(1)));
        Assert.Equal(JobStatus.Queued, (await store.GetAsync(adHoc.Id))!.Status);
    }

    [Fact]
    public async Task Claim_ConcurrentClaimsNeverTakeTheSameJob()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var inserted = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            inserted.Add((await store.InsertAsync(NewRegisteredJob(kind, T0.AddMilliseconds(i)))).Id);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            IReadOnlyList<JobRecord> batch;
            do
            {
                batch = await store.ClaimAsync([kind], 3, T0.AddSeconds(1));
                mine.AddRange(batch.Select(job => job.Id));
            }
            while (batch.Count > 0);

            return mine;
        })));

        var all = claims.SelectMany(ids => ids).ToList();
        Assert.Equal(inserted.Count, all.Count);
        Assert.Equal(inserted.Order(), all.Order());
    }

    [Fact]
    public async Task TryStart_CountsTheAttempt()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));

        var running = await store.TryStartAsync(job.Id, T0.AddSeconds(1));

        Assert.Equal(1, running!.Attempt);
    }

    [Fact]
    public async Task TryStartNextAttempt_OfTheRunningAttempt_CountsItAndRestartsProgress()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        await store.TryReportProgressAsync(job.Id, 1, 0.5, "half");

        var next = await store.TryStartNextAttemptAsync(job.Id, 1, "Attempt 1 failed.");

        Assert.Equal(2, next!.Attempt);
        Assert.Equal(JobStatus.Running, next.Status);
        Assert.Equal(0, next.Progress);
        Assert.Equal("Attempt 1 failed.", next.ProgressMessage);
        Assert.Null(await store.TryStartNextAttemptAsync(job.Id, 1, "stale"));
    }

    [Fact]
    public async Task StaleAttempt_CannotReportProgressOrFinish()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var next = await store.TryStartNextAttemptAsync(job.Id, 1, "retrying");

        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.9, "old attempt"));
        Assert.Null(await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(5))));
        AssertSameJob(next, await store.GetAsync(job.Id));
        Assert.NotNull(await store.TryFinishAsync(job.Id, JobStatus.Running, 2, Succeeded(T0.AddSeconds(6))));
    }

    [Fact]
    public async Task TryRequeue_PutsTheJobBackForTheNextClaimInItsNextAttempt()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = await store.InsertAsync(NewRegisteredJob(kind, T0));
        var running = (await store.ClaimAsync([kind], 1, T0.AddSeconds(1))).Single();

        var requeued = await store.TryRequeueAsync(job.Id, running.Attempt, "Waiting for a server.", T0.AddSeconds(2));

        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal("Waiting for a server.", requeued.ProgressMessage);
        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.5, "old attempt"));
        var again = (await store.ClaimAsync([kind], 1, T0.AddSeconds(3))).Single();
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public async Task TryRequeue_WhenCancellationWasRequested_CancelsTheJob()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        await store.RequestCancellationAsync(job.Id, T0.AddSeconds(2));

        var ended = await store.TryRequeueAsync(job.Id, 1, "Waiting for a server.", T0.AddSeconds(3));

        Assert.Equal(JobStatus.Canceled, ended!.Status);
        Assert.Equal(T0.AddSeconds(3), ended.CompletedAt);
    }

    [Fact]
    public async Task TryRequeue_OfAnotherAttempt_ReturnsNull()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);

        Assert.Null(await store.TryRequeueAsync(job.Id, 2, "stale", T0.AddSeconds(3)));
        Assert.Equal(JobStatus.Running, (await store.GetAsync(job.Id))!.Status);
    }

    /// <summary>A job of a registered kind: it has a request, so any server with the kind may claim it.</summary>
    protected static JobRecord NewRegisteredJob(string kind, DateTimeOffset createdAt) =>
        NewJob(kind, createdAt) with { Request = JsonSerializer.SerializeToElement(new { n = 1 }), MaxAttempts = 3 };

    [Fact]
    public async Task Insert_KeepsWhoToTellWhenTheJobFinishes()
    {
        var store = CreateStore();
        var notifications = new JobNotifications { CallbackUrl = "https://hooks.example.com/done", Email = "ops@example.com" };

        var job = await store.InsertAsync(NewJob("k", T0) with { Notifications = notifications });

        Assert.Equal(notifications, job.Notifications);
        Assert.Equal(notifications, (await store.GetAsync(job.Id))!.Notifications);
        Assert.Empty(job.Deliveries);
    }

    [Fact]
    public async Task Insert_KeepsTheTraceContextOfWhatStartedTheJob_ThroughItsRuns()
    {
        var store = CreateStore();
        const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var job = await store.InsertAsync(NewJob("k", T0) with { Request = JsonSerializer.SerializeToElement(new { }), TraceParent = TraceParent });

        var claimed = Assert.Single(await store.ClaimAsync(["k"], 1, T0.AddSeconds(1)));

        Assert.Equal(TraceParent, job.TraceParent);
        Assert.Equal(TraceParent, claimed.TraceParent);
        Assert.Equal(TraceParent, (await store.GetAsync(job.Id))!.TraceParent);
    }

    [Fact]
    public async Task RecordDelivery_ReplacesTheRecordOfItsChannel_KeepsTheOthers_AndChangesTheVersionOnly()
    {
        var store = CreateStore();
        var job = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(5));
        var pending = new NotificationDelivery { Channel = NotificationChannels.Webhook, Status = NotificationDeliveryStatus.Pending, Attempts = 1, LastAttemptAt = T0.AddSeconds(6), LastError = "HTTP 500" };
        var email = new NotificationDelivery { Channel = NotificationChannels.Email, Status = NotificationDeliveryStatus.Delivered, Attempts = 1, LastAttemptAt = T0.AddSeconds(6) };
        var delivered = pending with { Status = NotificationDeliveryStatus.Delivered, Attempts = 2, LastAttemptAt = T0.AddSeconds(8), LastError = null };

        await store.RecordDeliveryAsync(job.Id, pending);
        await store.RecordDeliveryAsync(job.Id, email);
        var recorded = await store.RecordDeliveryAsync(job.Id, delivered);

        Assert.NotNull(recorded);
        Assert.Equal(job.Version + 3, recorded.Version);
        Assert.Equal(JobStatus.Succeeded, recorded.Status);
        Assert.Equal(job.CompletedAt, recorded.CompletedAt);
        Assert.Equal([delivered, email], recorded.Deliveries.OrderByDescending(delivery => delivery.Channel, StringComparer.Ordinal));
        AssertSameJob(recorded, await store.GetAsync(job.Id));
    }

    [Fact]
    public async Task RecordDelivery_OfAnUnknownJob_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.RecordDeliveryAsync(Guid.NewGuid(), new NotificationDelivery { Channel = NotificationChannels.Webhook }));
    }

    [Fact]
    public async Task JobFinished_IsRaisedOnceByEveryCallThatFinishesAJob_AndByNoOther()
    {
        var store = CreateStore();
        var raised = new List<JobRecord>();
        store.JobFinished += raised.Add;

        var succeeded = await InsertRunningAsync(store, "k", T0);
        await store.TryFinishAsync(succeeded.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(2)));
        await store.TryFinishAsync(succeeded.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(3)));
        var queued = await store.InsertAsync(NewJob("k", T0));
        await store.RequestCancellationAsync(queued.Id, T0.AddSeconds(2));
        await store.RequestCancellationAsync(queued.Id, T0.AddSeconds(3));
        var running = await InsertRunningAsync(store, "k", T0);
        await store.RequestCancellationAsync(running.Id, T0.AddSeconds(2));
        var handedOver = await store.TryRequeueAsync(running.Id, 1, "stopping", T0.AddSeconds(3));
        var progressing = await InsertRunningAsync(store, "k", T0);
        await store.TryReportProgressAsync(progressing.Id, 1, 0.5, null);

        Assert.Equal(JobStatus.Canceled, handedOver?.Status);
        Assert.Equal(
            [(succeeded.Id, JobStatus.Succeeded), (queued.Id, JobStatus.Canceled), (running.Id, JobStatus.Canceled)],
            raised.Select(job => (job.Id, job.Status)));
    }

    [Fact]
    public async Task WatchChanges_SeesNewAndChangedJobs_UntilDisposed()
    {
        var store = CreateStore();
        var watched = new ChangeLog();
        var watch = store.WatchChanges(watched.Add);
        var job = await store.InsertAsync(NewJob("k", T0) with { Request = JsonSerializer.SerializeToElement(new { }) });

        // A store whose announcements travel (PostgreSQL) may start listening after the insert, and then says that
        // changes may have been missed (Guid.Empty): change the job until its ID is seen.
        var started = await store.TryStartAsync(job.Id, T0.AddSeconds(1));
        var progress = 0.0;
        while (!await watched.SawAsync(job.Id))
        {
            await store.TryReportProgressAsync(job.Id, started!.Attempt, progress += 0.01, null);
        }

        watch.Dispose();
        var other = new ChangeLog();
        using var otherWatch = store.WatchChanges(other.Add);
        var afterDispose = await store.InsertAsync(NewJob("k", T0) with { Request = JsonSerializer.SerializeToElement(new { }) });
        var marker = await InsertRunningAsync(store, "k", T0);
        while (!await other.SawAsync(marker.Id))
        {
            await store.TryReportProgressAsync(marker.Id, 1, progress += 0.01, null);
        }

        Assert.DoesNotContain(afterDispose.Id, watched.Ids);
        Assert.DoesNotContain(marker.Id, watched.Ids);
    }

    [Fact]
    public async Task List_CompletedAfter_ReturnsOnlyJobsFinishedAtOrAfterTheInstant()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        await InsertFinishedAsync(store, kind, T0, T0.AddSeconds(5));
        var atTheInstant = await InsertFinishedAsync(store, kind, T0.AddSeconds(1), T0.AddSeconds(10));
        var later = await InsertFinishedAsync(store, kind, T0.AddSeconds(2), T0.AddSeconds(20));
        await InsertRunningAsync(store, kind, T0.AddSeconds(3));

        var page = await store.ListAsync(new JobQuery { Kind = kind, CompletedAfter = T0.AddSeconds(10) });

        Assert.Equal([later.Id, atTheInstant.Id], page.Items.Select(job => job.Id));
    }

    /// <summary>The IDs a <see cref="IJobStore.WatchChanges"/> watcher was called with, from any thread.</summary>
    private sealed class ChangeLog
    {
        private readonly Lock _gate = new();
        private readonly List<Guid> _ids = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<Guid> Ids
        {
            get
            {
                lock (_gate)
                {
                    return [.. _ids];
                }
            }
        }

        public void Add(Guid id)
        {
            lock (_gate)
            {
                _ids.Add(id);
                _changed.TrySetResult();
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        /// <summary>Whether <paramref name="id"/> was seen; otherwise waits for the next call (at most 30 s) and says whether it was then.</summary>
        public async Task<bool> SawAsync(Guid id)
        {
            Task changed;
            lock (_gate)
            {
                if (_ids.Contains(id))
                {
                    return true;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(TimeSpan.FromSeconds(30));
            lock (_gate)
            {
                return _ids.Contains(id);
            }
        }
    }

    protected static JobRecord NewJob(string kind, DateTimeOffset createdAt) =>
        new() { Id = Guid.CreateVersion7(createdAt), Kind = kind, CreatedAt = createdAt };

    protected static JobOutcome Succeeded(DateTimeOffset completedAt, string resultJson = "null") =>
        new(JobStatus.Succeeded, completedAt, Result: JsonDocument.Parse(resultJson).RootElement.Clone());

    protected static async Task<JobRecord> InsertRunningAsync(IJobStore store, string kind, DateTimeOffset createdAt, string? owner = null)
    {
        var job = await store.InsertAsync(NewJob(kind, createdAt) with { Owner = owner });
        return await store.TryStartAsync(job.Id, createdAt.AddSeconds(1)) ?? throw new InvalidOperationException("The job did not start.");
    }

    protected static async Task<JobRecord> InsertFinishedAsync(IJobStore store, string kind, DateTimeOffset createdAt, DateTimeOffset finishedAt)
    {
        var job = await InsertRunningAsync(store, kind, createdAt);
        return await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(finishedAt)) ?? throw new InvalidOperationException("The job did not finish.");
    }

    /// <summary>
    /// Asserts two snapshots describe the same job state. JSON is compared by value: a store may give it back
    /// re-serialised (PostgreSQL's jsonb normalises spacing and key order).
    /// </summary>
    protected static void AssertSameJob(JobRecord? expected, JobRecord? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected with { Request = null, Result = null, Deliveries = [] }, actual with { Request = null, Result = null, Deliveries = [] });
        Assert.Equal(expected.Deliveries, actual.Deliveries);
        AssertSameJson(expected.Request, actual.Request);
        AssertSameJson(expected.Result, actual.Result);
    }

    private static void AssertSameJson(JsonElement? expected, JsonElement? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } left && actual is { } right)
        {
            Assert.True(JsonElement.DeepEquals(left, right), $"Expected JSON {left.GetRawText()}, got {right.GetRawText()}.");
        }
    }

    private static string UniqueKind() => "k" + Guid.NewGuid().ToString("N")[..12];
}
