using System.Runtime.ExceptionServices;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// Writes the changes of the jobs this server runs (start, next attempt, outcome) to the store. While the store cannot
/// be reached, a write is tried again through one Polly retry pipeline, after 1 second and then twice as long each
/// time up to 30 seconds, so a job that starts or finishes during a database outage is recorded once the database is
/// back. Once the host stops, a write is tried once more at most, and its failure is the store's own exception.
/// </summary>
internal sealed class JobStateWriter
{
    private static readonly ResiliencePropertyKey<Guid> JobIdKey = new("LongJobs.WrittenJobId");
    private static readonly ResiliencePropertyKey<ExceptionDispatchInfo> LastFailureKey = new("LongJobs.LastStoreFailure");

    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly ResiliencePipeline _whileUnavailable;

    public JobStateWriter(IJobStore store, TimeProvider time, ILogger logger, CancellationToken shutdown)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _shutdown = shutdown;
        _whileUnavailable = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is JobStoreUnavailableException && !shutdown.IsCancellationRequested),
                OnRetry = arguments =>
                {
                    var failure = arguments.Outcome.Exception!;
                    arguments.Context.Properties.Set(LastFailureKey, ExceptionDispatchInfo.Capture(failure));
                    Log.StoreUnavailable(logger, failure, arguments.Context.Properties.GetValue(JobIdKey, Guid.Empty), arguments.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Starts a queued ad-hoc job in its first attempt.</summary>
    /// <returns>The running state, or <see langword="null"/> when the job is no longer queued (cancelled, or abandoned at shutdown).</returns>
    public ValueTask<JobRecord?> TryStartAsync(Guid id) =>
        WriteAsync(id, static (store, state) => store.TryStartAsync(state.Id, state.Time.GetUtcNow()), (Id: id, Time: _time));

    /// <summary>Starts the next attempt of a job whose attempt <paramref name="failedAttempt"/> failed.</summary>
    /// <returns>The new state, or <see langword="null"/> when the job no longer runs here in that attempt.</returns>
    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, string message) =>
        WriteAsync(id, static (store, state) => store.TryStartNextAttemptAsync(state.Id, state.FailedAttempt, state.Message), (Id: id, FailedAttempt: failedAttempt, Message: message));

    /// <summary>
    /// Writes <paramref name="outcome"/> if the job is still in <paramref name="expected"/> and
    /// <paramref name="expectedAttempt"/>; otherwise the job's stored state wins. When the store cannot be reached,
    /// the outcome is applied to <paramref name="known"/>: what the handle reports. Never throws.
    /// </summary>
    public async ValueTask<JobRecord> RecordOutcomeAsync(JobRecord known, JobStatus expected, int expectedAttempt, JobOutcome outcome)
    {
        try
        {
            return await WriteAsync(
                    known.Id,
                    static async (store, state) =>
                        await store.TryFinishAsync(state.Id, state.Expected, state.ExpectedAttempt, state.Outcome).ConfigureAwait(false)
                        ?? await store.GetAsync(state.Id).ConfigureAwait(false),
                    (known.Id, Expected: expected, ExpectedAttempt: expectedAttempt, Outcome: outcome))
                .ConfigureAwait(false)
                ?? UnrecordedState.Of(known, outcome);
        }
        catch (Exception exception)
        {
            Log.StoreFailed(_logger, exception, known.Id);
            return UnrecordedState.Of(known, outcome);
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> under the retry pipeline. The pipeline's token is the host's shutdown, which ends
    /// a wait between tries; Polly makes no try once that token is signalled, so a write made while the host stops
    /// (the outcome of a job that the shutdown cancelled) is tried once here instead, as it is when a stop ends a wait
    /// before any try was made.
    /// </summary>
    private async ValueTask<T> WriteAsync<T, TState>(Guid jobId, Func<IJobStore, TState, ValueTask<T>> write, TState state)
    {
        if (_shutdown.IsCancellationRequested)
        {
            return await write(_store, state).ConfigureAwait(false);
        }

        var context = ResilienceContextPool.Shared.Get(_shutdown);
        context.Properties.Set(JobIdKey, jobId);
        try
        {
            return await _whileUnavailable.ExecuteAsync(
                static (_, state) => state.Write(state.Store, state.State),
                context,
                (Write: write, Store: _store, State: state)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // The host stopped while waiting to try again: the failure is the store's, with its own stack.
            if (context.Properties.TryGetValue(LastFailureKey, out var lastFailure))
            {
                lastFailure.Throw();
            }

            return await write(_store, state).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
