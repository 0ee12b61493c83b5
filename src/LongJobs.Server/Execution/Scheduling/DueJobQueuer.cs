using LongJobs.Server.Execution.Claiming;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Moves jobs started for later into the queue when they come due, then wakes the claim loop. One loop per server: it
/// reads the store's earliest due time and sleeps until then, woken earlier when a job is scheduled here for an
/// earlier time or when the store says another server scheduled one (or that such news may have been lost), and on a
/// shared store at the latest after <see cref="MaxSharedSleep"/>. Every server sharing a store does this; the store moves
/// each job once, so a job comes due on time while any server is up, with no leader to elect. After a failure of the
/// store it tries again every <see cref="LongJobsOptions.QueuePollInterval"/>.
/// </summary>
internal sealed class DueJobQueuer(IScheduledJobs store, QueueClaimer claimer, StoreTopology topology, TimeProvider time, TimeSpan retryInterval, ILogger logger, CancellationToken shutdown)
{
    /// <summary>How many due jobs one statement moves.</summary>
    internal const int BatchSize = 500;

    /// <summary>The longest sleep on a shared store: a last resort, should the news of a job scheduled elsewhere be lost.</summary>
    internal static readonly TimeSpan MaxSharedSleep = TimeSpan.FromMinutes(1);

    /// <summary>How soon to look again when due jobs were there but another server was moving them (they were locked).</summary>
    internal static readonly TimeSpan LockedRecheck = TimeSpan.FromMilliseconds(50);

    private readonly FailureEpisode _failures = new("Queueing scheduled jobs", logger, time);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Until when the loop sleeps, in UTC ticks; <see cref="long.MinValue"/> while it reads (any new schedule then wakes it).</summary>
    private long _sleepsUntil = long.MinValue;

    private Task<Task>? _loop;

    /// <summary>Starts the loop once.</summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        var loop = new Task<Task>(LoopAsync);
        if (Interlocked.CompareExchange(ref _loop, loop, null) is null)
        {
            loop.Start(TaskScheduler.Default);
        }
    }

    /// <summary>Notes a job scheduled here to come due at <paramref name="notBefore"/>: wakes the loop if it sleeps past that.</summary>
    public void Scheduled(DateTimeOffset notBefore)
    {
        EnsureStarted();
        var sleepsUntil = Interlocked.Read(ref _sleepsUntil);
        if (sleepsUntil == long.MinValue || notBefore.UtcTicks < sleepsUntil)
        {
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    /// <summary>Waits for the loop to end; the host's shutdown ends it.</summary>
    public async Task StopAsync()
    {
        if (Volatile.Read(ref _loop) is { } loop)
        {
            await (await loop.ConfigureAwait(false)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task LoopAsync()
    {
        while (!shutdown.IsCancellationRequested)
        {
            // Taken before reading, so a job scheduled while the loop reads wakes the sleep that follows.
            Interlocked.Exchange(ref _sleepsUntil, long.MinValue);
            var wake = Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            wake.TrySetResult();
            wake = Volatile.Read(ref _wake);

            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            var scheduledElsewhere = store.WaitForScheduledJobsAsync(sleep.Token);
            TimeSpan wait;
            try
            {
                var next = await QueueDueJobsAsync().ConfigureAwait(false);
                wait = SleepUntil(next);
                _failures.Worked();
            }
            catch (Exception exception) when (!shutdown.IsCancellationRequested)
            {
                _failures.Failed(exception);
                wait = retryInterval;
            }

            Interlocked.Exchange(ref _sleepsUntil, wait == Timeout.InfiniteTimeSpan ? long.MaxValue : (time.GetUtcNow() + wait).UtcTicks);
            try
            {
                await Task.WhenAny(wake.Task, scheduledElsewhere, Task.Delay(wait, time, sleep.Token)).ConfigureAwait(false);
            }
            finally
            {
                await sleep.CancelAsync().ConfigureAwait(false);
                _ = scheduledElsewhere.ContinueWith(static wait => wait.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// How long to sleep before <paramref name="next"/>, the next due time: until then, at most <see cref="MaxSharedSleep"/>
    /// on a shared store and a day otherwise (timers take no longer); with none due, forever on a store of this process only.
    /// </summary>
    private TimeSpan SleepUntil(DateTimeOffset? next)
    {
        var cap = topology.IsShared ? MaxSharedSleep : TimeSpan.FromDays(1);
        if (next is not { } due)
        {
            return topology.IsShared ? cap : Timeout.InfiniteTimeSpan;
        }

        var untilDue = due - time.GetUtcNow();
        return untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue > cap ? cap : untilDue;
    }

    /// <summary>Moves every job due now into the queue; returns the next due time after them.</summary>
    private async Task<DateTimeOffset?> QueueDueJobsAsync()
    {
        while (true)
        {
            var next = await store.GetNextDueTimeAsync(shutdown).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (next is not { } due || due > now)
            {
                return next;
            }

            var queued = await store.QueueDueJobsAsync(now, BatchSize, shutdown).ConfigureAwait(false);
            if (queued > 0)
            {
                Log.ScheduledJobsQueued(logger, queued);
                topology.NoteQueueChange(queued);
                claimer.MayHaveQueuedJobs();
                claimer.EnsureStarted();
                claimer.Wake();
            }
            else
            {
                // Another server is moving them (or just did): look again shortly rather than spin on its locks.
                return now + LockedRecheck;
            }
        }
    }
}
