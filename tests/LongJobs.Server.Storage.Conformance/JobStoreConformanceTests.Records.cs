using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobRecords"/> role: adds, reads, lists, idempotency keys and owners, cancel requests.</summary>
public abstract partial class JobStoreConformanceTests
{
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
    public async Task Insert_KeepsMaxAttemptsAndStartsAtAttemptZero()
    {
        var store = CreateStore();

        var job = await store.InsertAsync(NewRegisteredJob("k", T0) with { MaxAttempts = 4 });

        Assert.Equal(0, job.Attempt);
        Assert.Equal(4, job.MaxAttempts);
        Assert.Equal(4, (await store.GetAsync(job.Id))!.MaxAttempts);
    }

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
}
