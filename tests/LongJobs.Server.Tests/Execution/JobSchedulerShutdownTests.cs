using System.Runtime.CompilerServices;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Graceful shutdown through a real generic host: nothing is left Running and nothing throws unobserved.</summary>
public sealed class JobSchedulerShutdownTests
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stop_CancelsQueuedJobsAndRunningJobsThatHonourTheirToken()
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time, options => options.MaxConcurrency = 1);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var gate = new JobGate();
        var queuedRan = false;
        var running = await scheduler.StartAsync(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            return 1;
        });
        var queued = await scheduler.StartAsync((_, _) =>
        {
            queuedRan = true;
            return Task.FromResult(2);
        });
        await gate.Started;

        await host.StopAsync().WithSafetyTimeout();

        var runningState = await store.GetAsync(running.Id);
        Assert.Equal(JobStatus.Canceled, runningState!.Status);
        Assert.Equal("urn:longjobs:problem:job-canceled", runningState.Error!.Type);
        Assert.Contains("shut down", runningState.Error.Detail, StringComparison.Ordinal);
        Assert.NotNull(runningState.StartedAt);
        var queuedState = await store.GetAsync(queued.Id);
        Assert.Equal(JobStatus.Canceled, queuedState!.Status);
        Assert.Contains("shut down", queuedState.Error!.Detail, StringComparison.Ordinal);
        Assert.Null(queuedState.StartedAt);
        Assert.False(queuedRan);
        Assert.True(running.Task.IsCanceled);
        Assert.True(queued.Task.IsCanceled);
        await AssertNothingUnfinishedAsync(store);
    }

    [Fact]
    public async Task Stop_WhenARunningJobIgnoresItsToken_AbandonsItAsCanceledAfterTheShutdownTimeout()
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time, options => options.ShutdownTimeout = ShutdownTimeout);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var gate = new JobGate();
        var job = await scheduler.StartAsync(async (_, _) =>
        {
            await gate.PassIgnoringCancellationAsync();
            return 1;
        });
        await gate.Started;

        var stopping = host.StopAsync();
        await time.WaitForTimerAsync(ShutdownTimeout);

        // The scheduler is waiting for the job within the shutdown timeout: nothing is abandoned yet.
        Assert.False(stopping.IsCompleted);
        Assert.Equal(JobStatus.Running, (await store.GetAsync(job.Id))!.Status);

        time.Advance(ShutdownTimeout);
        await stopping.WithSafetyTimeout();

        var state = await store.GetAsync(job.Id);
        Assert.Equal(JobStatus.Canceled, state!.Status);
        Assert.Contains("shutdown timeout", state.Error!.Detail, StringComparison.Ordinal);
        Assert.True(job.Task.IsCanceled);
        Assert.Equal(JobStatus.Canceled, job.Status);
        await AssertNothingUnfinishedAsync(store);

        gate.Release();
    }

    [Fact]
    public async Task Stop_WithZeroShutdownTimeout_AbandonsJobsThatIgnoreTheirTokenAtOnce()
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time, options => options.ShutdownTimeout = TimeSpan.Zero);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var gate = new JobGate();
        var job = await scheduler.StartAsync(async (_, _) =>
        {
            await gate.PassIgnoringCancellationAsync();
            return 1;
        });
        await gate.Started;

        await host.StopAsync().WithSafetyTimeout();

        Assert.Equal(JobStatus.Canceled, (await store.GetAsync(job.Id))!.Status);
        await AssertNothingUnfinishedAsync(store);
        gate.Release();
    }

    [Fact]
    public async Task Start_AfterStop_ThrowsJobRejectedWithShuttingDown()
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        await host.StopAsync().WithSafetyTimeout();

        var rejected = await Assert.ThrowsAsync<JobRejectedException>(() => scheduler.StartAsync((_, _) => Task.FromResult(1)));

        Assert.Equal(JobRejectionReason.ShuttingDown, rejected.Reason);
        Assert.Equal(0, ((InMemoryJobStore)host.Services.GetRequiredService<IJobStore>()).Count);
    }

    [Fact]
    public async Task Start_OnceTheHostBeginsStopping_ThrowsShuttingDownWhileARunningJobKeepsRunning()
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var gate = new JobGate();
        var signalled = true;
        var running = await scheduler.StartAsync(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            signalled = cancellationToken.IsCancellationRequested;
            return 1;
        });
        await gate.Started;

        await TestHost.BeginStoppingAsync(host.Services);

        var rejected = await Assert.ThrowsAsync<JobRejectedException>(() => scheduler.StartAsync((_, _) => Task.FromResult(2)));
        Assert.Equal(JobRejectionReason.ShuttingDown, rejected.Reason);
        Assert.Equal(JobStatus.Running, running.Status);
        gate.Release();
        Assert.Equal(1, await running.Task.WithSafetyTimeout());
        Assert.False(signalled);
        await host.StopAsync().WithSafetyTimeout();
    }

    [Fact]
    public async Task Stop_WhenAJobIsAbandoned_FreesItAndKeepsItCanceledWhenItsWorkReturnsLater()
    {
        var time = new ObservedFakeTimeProvider();
        var logs = new JobFinishedSignals();
        using var host = TestHost.Build(time, options => options.ShutdownTimeout = TimeSpan.Zero, logs);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var gate = new JobGate();
        var job = await scheduler.StartAsync(async (_, _) =>
        {
            await gate.PassIgnoringCancellationAsync();
            return "returned after shutdown";
        });
        await gate.Started;

        await host.StopAsync().WithSafetyTimeout();

        Assert.Empty(scheduler.GetActiveJobs());
        Assert.False(scheduler.TryGetActiveJob(job.Id, out _));
        var abandoned = await store.GetAsync(job.Id);
        Assert.Equal(JobStatus.Canceled, abandoned!.Status);
        Assert.Contains("abandoned", abandoned.Error!.Detail, StringComparison.Ordinal);

        gate.Release();
        await logs.Finished(job.Id);

        var final = await store.GetAsync(job.Id);
        Assert.Equal(JobStatus.Canceled, final!.Status);
        Assert.Null(final.Result);
        Assert.Contains("abandoned", final.Error!.Detail, StringComparison.Ordinal);
        Assert.Equal(abandoned.Version, final.Version);
        Assert.True(job.Task.IsCanceled);
    }

    [Fact]
    public async Task FailedJobsNobodyAwaited_RaiseNoUnobservedTaskException()
    {
        var marker = $"unobserved-{Guid.NewGuid():N}";
        Assert.Empty(await UnobservedTaskExceptions.DuringAsync(marker, () => RunFailingJobsThenStopAsync(marker)));
    }

    /// <summary>Fails jobs without anyone awaiting them, and keeps no reference to them, so the GC can collect their tasks.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task RunFailingJobsThenStopAsync(string marker)
    {
        var time = new ObservedFakeTimeProvider();
        using var host = TestHost.Build(time, options => options.MaxConcurrency = 1);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var failed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            failed.Add((await scheduler.StartAsync<int>((_, _) => throw new InvalidOperationException(marker))).Id);
        }

        // With one slot, this job runs only after every failing job's work has ended (their outcomes may still be written).
        var last = await scheduler.StartAsync((_, _) => Task.FromResult(0));
        await last.Task.WithSafetyTimeout();
        foreach (var id in failed)
        {
            var job = (await store.GetAsync(id))!;
            while (!job.Status.IsFinished())
            {
                job = (await store.WaitForChangeAsync(id, job.Version).AsTask().WithSafetyTimeout())!;
            }

            Assert.Equal(JobStatus.Failed, job.Status);
        }

        await host.StopAsync().WithSafetyTimeout();
    }

    private static async Task AssertNothingUnfinishedAsync(IJobStore store)
    {
        var queued = await store.ListAsync(new JobQuery { Status = JobStatus.Queued });
        var running = await store.ListAsync(new JobQuery { Status = JobStatus.Running });
        Assert.Empty(queued.Items);
        Assert.Empty(running.Items);
    }
}
