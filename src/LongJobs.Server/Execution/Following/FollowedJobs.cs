using System.Collections.Concurrent;
using System.Text.Json;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.Execution.Following;

/// <summary>
/// The handles of jobs of registered kinds started here that no slot of this server runs: waiting in the store's
/// queue, or running on another server sharing the store. On a shared store each is followed in the store, so its
/// handle completes when the job finishes wherever it runs; whatever a follower meets, it asks again (one Polly
/// retry pipeline; failures logged once per episode for all followers), so a handle never stays pending while its job goes on. Every follower is awaited when the server
/// stops, and every handle still held is completed then.
/// </summary>
internal sealed class FollowedJobs
{
    private readonly ConcurrentDictionary<Guid, FollowedJob> _jobs = new();
    private readonly ConcurrentDictionary<FollowedJob, Task> _followers = new();
    private readonly IJobChangeFeed _changes;
    private readonly StoreTopology _topology;
    private readonly TimeProvider _time;
    private readonly JsonSerializerOptions _json;
    private readonly bool _includeExceptionDetails;
    private readonly CancellationToken _shutdown;
    private readonly FailureEpisode _failures;
    private readonly ResiliencePipeline _askAgain;

    public FollowedJobs(IJobChangeFeed changes, StoreTopology topology, TimeProvider time, JsonSerializerOptions json, bool includeExceptionDetails, ILogger logger, CancellationToken shutdown)
    {
        _changes = changes;
        _topology = topology;
        _time = time;
        _json = json;
        _includeExceptionDetails = includeExceptionDetails;
        _shutdown = shutdown;
        _failures = new FailureEpisode("Following jobs in the store", logger, time);
        _askAgain = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception
                    && !(exception is OperationCanceledException && arguments.Context.CancellationToken.IsCancellationRequested)),
                OnRetry = arguments =>
                {
                    // One episode for every job followed: an outage is one warning, not one per job and retry.
                    _failures.Failed(arguments.Outcome.Exception!);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Holds the handle of a job about to be queued: a claim may take the job the moment it is stored.</summary>
    public void Add(LongRunningJob handle, JobKind kind) => _jobs[handle.Id] = new FollowedJob(handle, kind);

    /// <summary>Forgets the handle of a job that was not queued, or whose idempotency key another job had.</summary>
    public void Forget(Guid id) => _jobs.TryRemove(id, out _);

    /// <summary>Takes the handle of a job this server claimed: it runs here now, so the following ends.</summary>
    /// <returns>The followed job, or <see langword="null"/> when its handle is not held here.</returns>
    public FollowedJob? Take(Guid id)
    {
        if (!_jobs.TryRemove(id, out var job))
        {
            return null;
        }

        job.StopFollowing();
        return job;
    }

    /// <summary>On a shared store, starts following a job just queued here, unless a slot of this server claimed it meanwhile.</summary>
    public void FollowIfWaiting(Guid id)
    {
        if (_topology.IsShared && _jobs.TryGetValue(id, out var job))
        {
            StartFollowing(job);
        }
    }

    /// <summary>
    /// Follows in the store an unfinished job found by a start (it held the start's unique key), whatever the topology:
    /// its handle completes when the job finishes, here or elsewhere; if this server claims the job meanwhile, the claim
    /// takes the handle. When a handle of the job is held already, that one is returned instead.
    /// </summary>
    /// <returns>The handle that follows the job.</returns>
    public LongRunningJob FollowExisting(LongRunningJob handle, JobKind kind)
    {
        var job = _jobs.GetOrAdd(handle.Id, static (_, added) => added, new FollowedJob(handle, kind));
        if (job.Handle == handle && !_shutdown.IsCancellationRequested)
        {
            StartFollowing(job);
        }

        return job.Handle;
    }

    /// <summary>
    /// On a shared store, and unless the server stops, keeps following a job that no longer runs here but is not
    /// finished (another server took it over), so its handle completes when it finishes there.
    /// </summary>
    /// <returns>Whether it is followed; otherwise the caller completes the handle.</returns>
    public bool TryFollowElsewhere(LongRunningJob handle, JobKind kind)
    {
        if (!_topology.IsShared || _shutdown.IsCancellationRequested)
        {
            return false;
        }

        var job = new FollowedJob(handle, kind);
        _jobs[handle.Id] = job;
        StartFollowing(job);
        return true;
    }

    /// <summary>Completes the handle of a job that finished in the store without running here (cancelled while queued).</summary>
    public void TryComplete(Guid id, JobRecord final)
    {
        if (_jobs.TryRemove(id, out var job))
        {
            job.StopFollowing();
            Complete(job, final);
        }
    }

    /// <summary>
    /// When the server stops: ends every following, completes every handle still held with the state the topology
    /// gives it (the job itself may go on, on the next server), and waits for every follower to end.
    /// </summary>
    public async Task StopAsync()
    {
        foreach (var (id, job) in _jobs)
        {
            if (_jobs.TryRemove(KeyValuePair.Create(id, job)))
            {
                job.StopFollowing();
                Complete(job, await _topology.FinalStateAtShutdownAsync(job.Handle).ConfigureAwait(false));
            }
        }

        await Task.WhenAll(_followers.Values).ConfigureAwait(false);
    }

    /// <summary>Completes a handle with a state read from the store, its result read from JSON.</summary>
    private void Complete(FollowedJob job, JobRecord final)
    {
        object? result = null;
        Exception? exception = null;
        if (final.Status == JobStatus.Succeeded && final.Result is { } json)
        {
            try
            {
                result = json.Deserialize(job.Kind.ResultType, _json);
            }
            catch (Exception readFailure) when (readFailure is JsonException or NotSupportedException)
            {
                final = final with { Status = JobStatus.Failed, Error = JobErrors.FromException(readFailure, final.Id, _includeExceptionDetails) };
                exception = readFailure;
            }
        }

        job.Handle.Complete(final, result, exception);
    }

    private void StartFollowing(FollowedJob job)
    {
        if (job.TryStartFollowing(_shutdown) is not { } following)
        {
            return;
        }

        // Held until it ends (added before the removal is arranged, so a follower that ended at once goes too).
        var follower = FollowAsync(job, following);
        _followers[job] = follower;
        _ = follower.ContinueWith(
            static (ended, state) =>
            {
                var (followers, job) = ((ConcurrentDictionary<FollowedJob, Task>, FollowedJob))state!;
                followers.TryRemove(KeyValuePair.Create(job, ended));
            },
            (_followers, job),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Follows one job until it finishes, this server claims it, or the server stops; never throws.</summary>
    private async Task FollowAsync(FollowedJob job, CancellationTokenSource following)
    {
        var handle = job.Handle;
        var context = ResilienceContextPool.Shared.Get(following.Token);
        try
        {
            while (true)
            {
                var outcome = await _askAgain.ExecuteOutcomeAsync(
                    static (context, state) => WaitForChangeAsync(state.Changes, state.Handle, context.CancellationToken),
                    context,
                    (Changes: _changes, Handle: handle)).ConfigureAwait(false);
                if (outcome.Exception is not null)
                {
                    // Cancelled: this server claimed the job, or it stops (the retries end on nothing else).
                    return;
                }

                _failures.Worked();
                var state = outcome.Result ?? UnrecordedState.Of(handle.Row(), new JobOutcome(JobStatus.Canceled, _time.GetUtcNow()));
                handle.Update(state);
                if (!state.Status.IsFinished())
                {
                    continue;
                }

                if (_jobs.TryRemove(KeyValuePair.Create(handle.Id, job)))
                {
                    Complete(job, state);
                }

                return;
            }
        }
        catch (OperationCanceledException) when (following.IsCancellationRequested)
        {
            // This server claimed the job, or it stops, while Polly waited to ask again.
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            following.Dispose();
        }
    }

    /// <summary>
    /// Waits for the job's next change as an outcome: a cancelled or failed wait is not thrown again here. Most followers
    /// end cancelled (a slot of this server claims their job), and each rethrow up an await chain costs a stack walk.
    /// </summary>
    private static async ValueTask<Outcome<JobRecord?>> WaitForChangeAsync(IJobChangeFeed changes, LongRunningJob handle, CancellationToken cancellationToken)
    {
        Task<JobRecord?> wait = changes.WaitForChangeAsync(handle.Id, handle.Row().Version, cancellationToken).AsTask();
        await ((Task)wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return wait.Status switch
        {
            TaskStatus.RanToCompletion => Outcome.FromResult<JobRecord?>(wait.Result),
            TaskStatus.Canceled => Outcome.FromException<JobRecord?>(new OperationCanceledException(cancellationToken)),
            _ => Outcome.FromException<JobRecord?>(wait.Exception!.InnerException!),
        };
    }
}
