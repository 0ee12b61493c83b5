using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary><see cref="IJobScheduler.CancelAsync"/>: queued jobs never run, running jobs are signalled, cancellation is cooperative.</summary>
public sealed class JobSchedulerCancellationTests
{
    [Fact]
    public async Task Cancel_WhenQueued_CancelsAtOnceAndTheJobNeverRuns()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 1);
        var blocker = new JobGate();
        var blocking = await services.StartGatedAsync(blocker);
        await blocker.Started;
        var ran = false;
        var queued = await services.Scheduler.StartAsync((_, _) =>
        {
            ran = true;
            return Task.FromResult(1);
        });

        var state = await services.Scheduler.CancelAsync(queued.Id);

        Assert.NotNull(state);
        Assert.Equal(JobStatus.Canceled, state.Status);
        Assert.True(state.CancellationRequested);
        Assert.Null(state.StartedAt);
        Assert.Null(state.Error);
        Assert.True(queued.Task.IsCanceled);
        Assert.Equal(JobStatus.Canceled, queued.Status);
        Assert.DoesNotContain(services.Scheduler.GetActiveJobs(), job => job.Id == queued.Id);

        // The next job queued after it runs as soon as the slot frees: the cancelled job left the queue.
        var next = await services.Scheduler.StartAsync((_, _) => Task.FromResult(2));
        blocker.Release();
        Assert.Equal(2, await next.Task.WithSafetyTimeout());
        await blocking.Task.WithSafetyTimeout();
        Assert.False(ran);
        Assert.Equal(JobStatus.Canceled, (await services.GetRecordAsync(queued.Id)).Status);
    }

    [Fact]
    public async Task Cancel_WhenRunning_SignalsTheTokenAndTheJobEndsCanceled()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var job = await services.StartGatedAsync(gate);
        await gate.Started;

        var state = await services.Scheduler.CancelAsync(job.Id);

        Assert.NotNull(state);
        Assert.True(state.CancellationRequested);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.True(job.Task.IsCanceled);
        Assert.Equal(JobStatus.Canceled, job.Status);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Canceled, record.Status);
        Assert.NotNull(record.StartedAt);
        Assert.NotNull(record.CompletedAt);
        Assert.Null(record.Error);
        Assert.True(record.CancellationRequested);
    }

    [Fact]
    public async Task Cancel_WhenRunningJobIgnoresItsToken_JobKeepsRunningUntilItFinishes()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var tokenSignalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = await services.Scheduler.StartAsync(async (_, cancellationToken) =>
        {
            cancellationToken.Register(tokenSignalled.SetResult);
            await gate.PassIgnoringCancellationAsync();
            return "finished anyway";
        });
        await gate.Started;

        var state = await services.Scheduler.CancelAsync(job.Id);
        await tokenSignalled.Task.WithSafetyTimeout();

        Assert.Equal(JobStatus.Running, state!.Status);
        Assert.True(state.CancellationRequested);
        Assert.False(job.Task.IsCompleted);
        Assert.Equal(JobStatus.Running, (await services.GetRecordAsync(job.Id)).Status);

        gate.Release();
        Assert.Equal("finished anyway", await job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Succeeded, (await services.GetRecordAsync(job.Id)).Status);
    }

    [Fact]
    public async Task CancellationRequestedInTheStore_ReachesTheRunningJobOnItsNextProgressReport()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        bool? signalledBeforeReport = null;
        bool? signalledAfterReport = null;
        var job = await services.Scheduler.StartAsync(async (context, cancellationToken) =>
        {
            await gate.PassIgnoringCancellationAsync();
            signalledBeforeReport = cancellationToken.IsCancellationRequested;
            await context.ReportProgressAsync(0.5, "half way", CancellationToken.None);
            signalledAfterReport = cancellationToken.IsCancellationRequested;
            cancellationToken.ThrowIfCancellationRequested();
            return "finished anyway";
        });
        await gate.Started;

        // As another server sharing the store would: only the store knows of the request.
        var requested = await services.Store.RequestCancellationAsync(job.Id, DateTimeOffset.UtcNow);
        Assert.True(requested!.CancellationRequested);
        gate.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.False(signalledBeforeReport);
        Assert.True(signalledAfterReport);
        Assert.Equal(JobStatus.Canceled, job.Status);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Canceled, record.Status);
        Assert.True(record.CancellationRequested);
    }

    [Fact]
    public async Task Cancel_WhenFinished_ChangesNothing()
    {
        await using var services = TestServices.Create();
        var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(5));
        await job.Task.WithSafetyTimeout();
        var before = await services.GetRecordAsync(job.Id);

        var state = await services.Scheduler.CancelAsync(job.Id);

        Assert.Equal(before.ToSnapshot(), state);
        Assert.Equal(JobStatus.Succeeded, state!.Status);
        Assert.False(state.CancellationRequested);
    }

    [Fact]
    public async Task Cancel_UnknownId_ReturnsNull()
    {
        await using var services = TestServices.Create();

        Assert.Null(await services.Scheduler.CancelAsync(Guid.NewGuid()));
    }
}
