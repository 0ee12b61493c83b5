using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>The <see cref="IJobChangeFeed"/> role: waits for a change, watchers, and the finished-job event.</summary>
public abstract partial class JobStoreConformanceTests
{
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

    /// <summary>The IDs a <see cref="IJobChangeFeed.WatchChanges"/> watcher was called with, from any thread.</summary>
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

            await changed.WaitAsync(SafetyTimeout.Value);
            lock (_gate)
            {
                return _ids.Contains(id);
            }
        }
    }
}
