using LongJobs.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobHistory"/> role: attempts recorded by the changes that start and end them, and bounded logs.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task GetHistory_UnknownJob_ReturnsNull()
    {
        var store = CreateStore();

        Assert.Null(await store.GetHistoryAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task GetHistory_QueuedJob_HasNoAttemptsAndNoLog()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));

        var history = await store.GetHistoryAsync(job.Id);

        Assert.NotNull(history);
        Assert.Empty(history.Attempts);
        Assert.Empty(history.Log);
        Assert.Equal(0, history.RemovedLogLines);
    }

    [Fact]
    public async Task Attempts_OfARunningJob_AreItsOpenAttempt()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);

        var attempt = Assert.Single((await store.GetHistoryAsync(job.Id))!.Attempts);

        Assert.Equal(1, attempt.Number);
        Assert.Equal(T0.AddSeconds(1), attempt.StartedAt);
        Assert.False(string.IsNullOrEmpty(attempt.Node));
        Assert.Null(attempt.EndedAt);
        Assert.Null(attempt.Outcome);
        Assert.Null(attempt.Error);
    }

    [Fact]
    public async Task Attempts_WhenTheJobFinishes_CloseWithItsStatusTimeAndError()
    {
        var store = CreateStore();
        var succeeded = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(5));
        var failing = await InsertRunningAsync(store, "k", T0);
        var error = new JobError("urn:test:failed", "It failed.", "Details.");
        await store.TryFinishAsync(failing.Id, JobStatus.Running, 1, new JobOutcome(JobStatus.Failed, T0.AddSeconds(6), Error: error));

        var success = Assert.Single((await store.GetHistoryAsync(succeeded.Id))!.Attempts);
        var failure = Assert.Single((await store.GetHistoryAsync(failing.Id))!.Attempts);

        Assert.Equal((1, T0.AddSeconds(1), T0.AddSeconds(5), JobAttemptOutcome.Succeeded, (JobError?)null), (success.Number, success.StartedAt, success.EndedAt, success.Outcome, success.Error));
        Assert.Equal((1, T0.AddSeconds(1), T0.AddSeconds(6), JobAttemptOutcome.Failed, error), (failure.Number, failure.StartedAt, failure.EndedAt, failure.Outcome, failure.Error));
        Assert.False(string.IsNullOrEmpty(failure.Node));
    }

    [Fact]
    public async Task Attempts_RetriedInPlace_RecordTheFailureAndTheNextAttemptAfterTheBackoff()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var transient = new JobError("urn:test:transient", "Try again.");
        await store.TryStartNextAttemptAsync(job.Id, 1, new JobRetry("again", T0.AddSeconds(2), T0.AddSeconds(4), transient));

        var attempts = (await store.GetHistoryAsync(job.Id))!.Attempts;

        Assert.Equal(2, attempts.Count);
        Assert.Equal((1, T0.AddSeconds(1), T0.AddSeconds(2), JobAttemptOutcome.Retried, transient), (attempts[0].Number, attempts[0].StartedAt, attempts[0].EndedAt, attempts[0].Outcome, attempts[0].Error));
        Assert.Equal((2, T0.AddSeconds(4), (DateTimeOffset?)null, (JobAttemptOutcome?)null), (attempts[1].Number, attempts[1].StartedAt, attempts[1].EndedAt, attempts[1].Outcome));

        await store.TryFinishAsync(job.Id, JobStatus.Running, 2, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(9)));
        var last = (await store.GetHistoryAsync(job.Id))!.Attempts[^1];
        Assert.Equal((2, T0.AddSeconds(4), T0.AddSeconds(9), JobAttemptOutcome.Canceled), (last.Number, last.StartedAt, last.EndedAt, last.Outcome));
    }

    [Fact]
    public async Task Attempts_HandedBackToTheQueueAndClaimedAgain_AreRetriedThenTheNextRun()
    {
        var store = CreateStore();
        var kind = UniqueKind();
        var job = await store.InsertAsync(NewRegisteredJob(kind, T0));
        Assert.Single(await store.ClaimAsync([kind], 1, T0.AddSeconds(1)));
        await store.TryRequeueAsync(job.Id, 1, "Waiting for a server.", T0.AddSeconds(2));

        var handedOver = Assert.Single((await store.GetHistoryAsync(job.Id))!.Attempts);
        Assert.Equal((1, T0.AddSeconds(1), T0.AddSeconds(2), JobAttemptOutcome.Retried, (JobError?)null), (handedOver.Number, handedOver.StartedAt, handedOver.EndedAt, handedOver.Outcome, handedOver.Error));

        Assert.Single(await store.ClaimAsync([kind], 1, T0.AddSeconds(3)));
        await store.TryFinishAsync(job.Id, JobStatus.Running, 2, Succeeded(T0.AddSeconds(4)));

        var attempts = (await store.GetHistoryAsync(job.Id))!.Attempts;
        Assert.Equal([1, 2], attempts.Select(attempt => attempt.Number));
        Assert.Equal((T0.AddSeconds(3), T0.AddSeconds(4), JobAttemptOutcome.Succeeded), (attempts[1].StartedAt, attempts[1].EndedAt, attempts[1].Outcome));
    }

    [Fact]
    public async Task Attempts_OfAJobCanceledWhileQueued_AreNone()
    {
        var store = CreateStore();
        var job = await store.InsertAsync(NewJob("k", T0));
        await store.RequestCancellationAsync(job.Id, T0.AddSeconds(1));

        Assert.Empty((await store.GetHistoryAsync(job.Id))!.Attempts);
    }

    [Fact]
    public async Task Log_AppendedLines_ComeBackInOrderWithTimeLevelAttemptAndMessage()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        JobLogLine[] lines =
        [
            new(T0.AddSeconds(2), LogLevel.Information, 1, "first"),
            new(T0.AddSeconds(2), LogLevel.Warning, 1, "second, at the same time"),
            new(T0.AddSeconds(3), LogLevel.Error, 2, "third: ünïcödé \"quoted\""),
        ];

        await store.AppendLogAsync([new(job.Id, lines[0]), new(job.Id, lines[1])], keepLast: 10);
        await store.AppendLogAsync([new(job.Id, lines[2])], keepLast: 10);

        var history = (await store.GetHistoryAsync(job.Id))!;
        Assert.Equal(lines, history.Log);
        Assert.Equal(0, history.RemovedLogLines);
    }

    [Fact]
    public async Task Log_BeyondTheBound_KeepsTheLastLinesAndCountsTheRemovedOnes()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var other = await InsertRunningAsync(store, "k", T0);
        var lines = Enumerable.Range(1, 7).Select(i => new JobLogLine(T0.AddSeconds(i), LogLevel.Information, 1, $"line {i}")).ToList();

        await store.AppendLogAsync([.. lines.Take(2).Select(line => new JobLogEntry(job.Id, line)), new(other.Id, lines[0])], keepLast: 3);
        await store.AppendLogAsync([.. lines.Skip(2).Take(2).Select(line => new JobLogEntry(job.Id, line))], keepLast: 3);
        var afterFour = (await store.GetHistoryAsync(job.Id))!;
        await store.AppendLogAsync([.. lines.Skip(4).Select(line => new JobLogEntry(job.Id, line))], keepLast: 3);
        var afterSeven = (await store.GetHistoryAsync(job.Id))!;

        Assert.Equal(lines[1..4], afterFour.Log);
        Assert.Equal(1, afterFour.RemovedLogLines);
        Assert.Equal(lines[4..], afterSeven.Log);
        Assert.Equal(4, afterSeven.RemovedLogLines);
        Assert.Equal([lines[0]], (await store.GetHistoryAsync(other.Id))!.Log);
    }

    [Fact]
    public async Task Log_OfAJobTheStoreDoesNotHave_IsDroppedAndTheOthersAreKept()
    {
        var store = CreateStore();
        var job = await InsertRunningAsync(store, "k", T0);
        var line = new JobLogLine(T0.AddSeconds(2), LogLevel.Information, 1, "kept");

        await store.AppendLogAsync([new(Guid.NewGuid(), line with { Message = "dropped" }), new(job.Id, line)], keepLast: 10);

        Assert.Equal([line], (await store.GetHistoryAsync(job.Id))!.Log);
    }

    [Fact]
    public async Task History_OfARemovedJob_IsGone()
    {
        var store = CreateStore();
        var deleted = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        var expired = await InsertFinishedAsync(store, "k", T0, T0.AddSeconds(2));
        var line = new JobLogLine(T0.AddSeconds(1), LogLevel.Information, 1, "line");
        await store.AppendLogAsync([new(deleted.Id, line), new(expired.Id, line)], keepLast: 10);

        Assert.True(await store.TryDeleteFinishedAsync(deleted.Id));
        await store.DeleteFinishedAsync(T0.AddSeconds(3), keepAtMost: 1000);

        Assert.Null(await store.GetHistoryAsync(deleted.Id));
        Assert.Null(await store.GetHistoryAsync(expired.Id));
    }
}
