using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobAttempts"/> role: starts, progress, next attempts and finishes, guarded by status and attempt.</summary>
public abstract partial class JobStoreConformanceTests
{
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

        var next = await store.TryStartNextAttemptAsync(job.Id, 1, Retry("Attempt 1 failed.", T0.AddSeconds(2)));

        Assert.Equal(2, next!.Attempt);
        Assert.Equal(JobStatus.Running, next.Status);
        Assert.Equal(0, next.Progress);
        Assert.Equal("Attempt 1 failed.", next.ProgressMessage);
        Assert.Null(await store.TryStartNextAttemptAsync(job.Id, 1, Retry("stale", T0.AddSeconds(3))));
    }

    [Fact]
    public async Task StaleAttempt_CannotReportProgressOrFinish()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var next = await store.TryStartNextAttemptAsync(job.Id, 1, Retry("retrying", T0.AddSeconds(2)));

        Assert.Null(await store.TryReportProgressAsync(job.Id, 1, 0.9, "old attempt"));
        Assert.Null(await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(T0.AddSeconds(5))));
        AssertSameJob(next, await store.GetAsync(job.Id));
        Assert.NotNull(await store.TryFinishAsync(job.Id, JobStatus.Running, 2, Succeeded(T0.AddSeconds(6))));
    }
}
