using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// An ad-hoc job that finds a slot free takes it before it is stored, and is stored running in it
/// (<see cref="IJobRecords.InsertStartedAsync"/>): one write instead of an insert and a start (issue 14).
/// </summary>
public sealed class AdHocStartedInsertTests
{
    [Fact]
    public async Task AnAdHocStart_WithASlotFree_StoresItsJobRunningInItsInsert_WithoutAStartOfItsOwn()
    {
        var (services, store) = Create(maxConcurrency: 1);
        await using var _ = services;
        var gate = new JobGate();

        var job = await services.Scheduler.StartAsync(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            return 7;
        });

        await gate.Started;
        var stored = await services.GetRecordAsync(job.Id);
        Assert.Equal((JobStatus.Running, 1, 1L), (stored.Status, stored.Attempt, stored.Version));
        Assert.Equal(0, store.TryStartCalls);
        gate.Release();
        Assert.Equal(7, await job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Succeeded, (await services.GetRecordAsync(job.Id)).Status);
    }

    [Fact]
    public async Task AnAdHocStart_WithNoSlotFree_StoresItsJobQueued_AndStartsItOnceASlotFrees()
    {
        var (services, store) = Create(maxConcurrency: 1);
        await using var _ = services;
        var first = new JobGate();
        var running = await services.Scheduler.StartAsync(async (_, cancellationToken) =>
        {
            await first.PassAsync(cancellationToken);
            return 1;
        });
        await first.Started;

        var waiting = await services.Scheduler.StartAsync((_, _) => Task.FromResult(2));

        var queued = await services.GetRecordAsync(waiting.Id);
        Assert.Equal((JobStatus.Queued, 0), (queued.Status, queued.Attempt));
        first.Release();
        Assert.Equal(2, await waiting.Task.WithSafetyTimeout());
        Assert.Equal(1, await running.Task.WithSafetyTimeout());
        Assert.Equal(1, store.TryStartCalls);
    }

    [Fact]
    public async Task AnAdHocStart_WhoseServerBeginsToStopDuringItsInsert_EndsItsJobCancelled_WithoutRunningIt()
    {
        var time = new ObservedFakeTimeProvider();
        var store = new FaultyJobStore(time);
        using var host = TestHost.Build(time, options => options.MaxConcurrency = 1, store: store);
        await host.StartAsync();
        var scheduler = host.Services.GetRequiredService<IJobScheduler>();
        var insert = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.InsertGate = insert.Task;
        var ran = false;
        var start = scheduler.StartAsync((_, _) =>
        {
            ran = true;
            return Task.FromResult(1);
        });
        await store.InsertHeld.WithSafetyTimeout();

        await TestHost.BeginStoppingAsync(host.Services);
        store.InsertGate = null;
        insert.SetResult();
        var job = await start.WithSafetyTimeout();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        var stored = (await store.GetAsync(job.Id))!;
        Assert.Equal((JobStatus.Canceled, 1), (stored.Status, stored.Attempt));
        Assert.Contains("shut down", stored.Error!.Detail, StringComparison.Ordinal);
        Assert.False(ran);
        await host.StopAsync().WithSafetyTimeout();
    }

    private static (TestServices Services, FaultyJobStore Store) Create(int maxConcurrency)
    {
        var time = new ObservedFakeTimeProvider();
        var store = new FaultyJobStore(time);
        return (TestServices.Create(options => options.MaxConcurrency = maxConcurrency, store: _ => store, time: time), store);
    }
}
