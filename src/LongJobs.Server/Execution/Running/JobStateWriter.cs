using System.Runtime.ExceptionServices;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// Writes the changes of the jobs this server runs (start, next attempt, outcome) to the store. A write that fails is
/// tried again through a Polly retry pipeline, after 1 second and then twice as long each time up to 30 seconds, so a job
/// that starts or finishes during a database outage is recorded once the database is back: most writes while the store
/// cannot be reached, the outcome of a run whatever the failure (nothing else would ever record it; its slot is free
/// meanwhile). Failures are
/// logged once per episode (<see cref="FailureEpisode"/>). Once the scheduler stops (<see cref="StopRetryingAsync"/>), or the
/// host does, a write is no longer tried again after a wait: a try in flight is cancelled, and an outcome still waiting
/// for the store gets one last try then (the database may be back, and the try that failed last may be long ago); the
/// failure is that try's own exception.
/// </summary>
internal sealed class JobStateWriter
{
    private readonly IJobAttempts _attempts;
    private readonly IJobRecords _records;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopRetrying;
    private readonly FailureEpisode _failures;
    private readonly Retrying _whileUnavailable;
    private readonly Retrying _untilRecorded;

    public JobStateWriter(IJobAttempts attempts, IJobRecords records, TimeProvider time, ILogger logger, CancellationToken shutdown)
    {
        _attempts = attempts;
        _records = records;
        _time = time;
        _logger = logger;

        // Never disposed, like the shutdown's source it links to: see SchedulerLifecycle.Dispose.
        _stopRetrying = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        _failures = new FailureEpisode("Recording the state of running jobs", logger, time);
        _whileUnavailable = BuildRetries(static exception => exception is JobStoreUnavailableException);
        _untilRecorded = BuildRetries(static _ => true);
    }

    /// <summary>Whether the scheduler stops: a failed write is no longer tried again.</summary>
    private bool Stopping => _stopRetrying.IsCancellationRequested;

    /// <summary>
    /// Stops trying writes again, and cancels the tries in flight, as the scheduler stops: a write that cannot succeed
    /// would otherwise hold up the stop.
    /// </summary>
    public Task StopRetryingAsync() => _stopRetrying.CancelAsync();

    /// <summary>Starts a queued ad-hoc job in its first attempt.</summary>
    /// <returns>The running state, or <see langword="null"/> when the job is no longer queued (cancelled, or abandoned at shutdown).</returns>
    public ValueTask<JobRecord?> TryStartAsync(Guid id) =>
        WriteAsync(_whileUnavailable, static (attempts, state, token) => attempts.TryStartAsync(state.Id, state.Time.GetUtcNow(), token), (Id: id, Time: _time), whileWaiting: null, lastTryAtStop: false);

    /// <summary>Starts the next attempt of a job whose attempt <paramref name="failedAttempt"/> failed.</summary>
    /// <returns>The new state, or <see langword="null"/> when the job no longer runs here in that attempt.</returns>
    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, JobRetry retry) =>
        WriteAsync(_whileUnavailable, static (attempts, state, token) => attempts.TryStartNextAttemptAsync(state.Id, state.FailedAttempt, state.Retry, token), (Id: id, FailedAttempt: failedAttempt, Retry: retry), whileWaiting: null, lastTryAtStop: false);

    /// <summary>
    /// Writes <paramref name="outcome"/> if the job is still in <paramref name="expected"/> and
    /// <paramref name="expectedAttempt"/>; otherwise the job's stored state wins. When the store cannot record it,
    /// the outcome is applied to <paramref name="known"/>: what the handle reports. Never throws.
    /// </summary>
    /// <remarks>Tried again only while the store cannot be reached: its callers (a claim, a cancel request, the stop) wait for it.</remarks>
    public async ValueTask<JobRecord> RecordOutcomeAsync(JobRecord known, JobStatus expected, int expectedAttempt, JobOutcome outcome) =>
        (await RecordAsync(_whileUnavailable, known, expected, expectedAttempt, outcome, whileWaiting: null).ConfigureAwait(false)).State;

    /// <summary>
    /// Writes the outcome of attempt <paramref name="attempt"/> of a running job, unless the job no longer runs in that
    /// attempt. When the first try fails, whatever the failure, <paramref name="whileWaiting"/> runs (the job gives back
    /// its slot) and the write goes on until it succeeds or the scheduler stops. Never throws.
    /// </summary>
    public ValueTask<RecordedOutcome> RecordAttemptOutcomeAsync(JobRecord known, int attempt, JobOutcome outcome, Action whileWaiting) =>
        RecordAsync(_untilRecorded, known, JobStatus.Running, attempt, outcome, whileWaiting);

    private async ValueTask<RecordedOutcome> RecordAsync(Retrying retrying, JobRecord known, JobStatus expected, int expectedAttempt, JobOutcome outcome, Action? whileWaiting)
    {
        try
        {
            return await WriteAsync(
                    retrying,
                    static async (attempts, state, token) =>
                    {
                        if (await attempts.TryFinishAsync(state.Known.Id, state.Expected, state.ExpectedAttempt, state.Outcome, token).ConfigureAwait(false) is { } finished)
                        {
                            return new RecordedOutcome(finished, TakenOver: false);
                        }

                        var stored = await state.Records.GetAsync(state.Known.Id, token).ConfigureAwait(false);

                        // Finished in the same attempt, the job ended here: by this outcome (a try that committed but
                        // whose answer was lost), or by this server (abandoned at shutdown, cancelled while queued).
                        return stored is null ? new RecordedOutcome(UnrecordedState.Of(state.Known, state.Outcome), TakenOver: true)
                            : new RecordedOutcome(stored, TakenOver: stored.Attempt != state.ExpectedAttempt || !stored.Status.IsFinished());
                    },
                    (Known: known, Expected: expected, ExpectedAttempt: expectedAttempt, Outcome: outcome, Records: _records),
                    whileWaiting,
                    lastTryAtStop: true)
                .ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Log.StoreFailed(_logger, exception, known.Id);
            return new RecordedOutcome(UnrecordedState.Of(known, outcome), TakenOver: false);
        }
    }

    private Retrying BuildRetries(Func<Exception, bool> retryOn) => new(retryOn, new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception && retryOn(exception) && !Stopping),
                OnRetry = arguments =>
                {
                    _failures.Failed(arguments.Outcome.Exception!);
                    return default;
                },
            })
            .Build());

    /// <summary>
    /// Runs <paramref name="write"/>: once, and when that fails as <paramref name="retrying"/> says, again under its pipeline. Most writes go
    /// through at the first try, which therefore runs outside the pipeline and costs no more than the store's call; a
    /// try made while the scheduler stops is the only one. With <paramref name="lastTryAtStop"/>, a write still waiting
    /// for the store when the scheduler stops is tried once more then.
    /// </summary>
    private async ValueTask<T> WriteAsync<T, TState>(Retrying retrying, Func<IJobAttempts, TState, CancellationToken, ValueTask<T>> write, TState state, Action? whileWaiting, bool lastTryAtStop)
    {
        T written;
        try
        {
            written = await write(_attempts, state, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception failure) when (!Stopping && retrying.RetryOn(failure))
        {
            whileWaiting?.Invoke();
            written = await RetryAsync(retrying.Pipeline, new Retries<T, TState>(write, _attempts, state, failure), lastTryAtStop).ConfigureAwait(false);
        }

        _failures.Worked();
        return written;
    }

    /// <summary>
    /// Tries again under the pipeline, whose token stops with the scheduler: a stop ends a wait between tries and the
    /// try in flight. Then the write is either tried a last time, or given up with the failure of its last try.
    /// </summary>
    private async ValueTask<T> RetryAsync<T, TState>(ResiliencePipeline pipeline, Retries<T, TState> retries, bool lastTryAtStop)
    {
        var context = ResilienceContextPool.Shared.Get(_stopRetrying.Token);
        try
        {
            return await pipeline.ExecuteAsync(static (context, retries) => retries.TryAsync(context.CancellationToken), context, retries).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Stopping)
        {
            if (lastTryAtStop)
            {
                return await retries.TryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            retries.LastFailure.Throw();
            throw;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Which failures of a write are tried again, and the pipeline that does it.</summary>
    private sealed record Retrying(Func<Exception, bool> RetryOn, ResiliencePipeline Pipeline);

    /// <summary>
    /// The tries of one write under the pipeline. The pipeline's first call gives the failure of the try already made,
    /// so the pipeline waits before it tries again, as it does between any two tries.
    /// </summary>
    private sealed class Retries<T, TState>(Func<IJobAttempts, TState, CancellationToken, ValueTask<T>> write, IJobAttempts attempts, TState state, Exception firstFailure)
    {
        private bool _replayed;

        /// <summary>The failure of the last try that ended, with its own stack.</summary>
        public ExceptionDispatchInfo LastFailure { get; private set; } = ExceptionDispatchInfo.Capture(firstFailure);

        public async ValueTask<T> TryAsync(CancellationToken cancellationToken)
        {
            if (!_replayed)
            {
                _replayed = true;
                LastFailure.Throw();
            }

            try
            {
                return await write(attempts, state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
            {
                LastFailure = ExceptionDispatchInfo.Capture(failure);
                throw;
            }
        }
    }
}
