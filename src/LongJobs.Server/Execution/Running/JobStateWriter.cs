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
/// back. Once the host stops, no write is tried again, and the failure is the store's own exception.
/// </summary>
internal sealed class JobStateWriter
{
    private static readonly ResiliencePropertyKey<Guid> JobIdKey = new("LongJobs.WrittenJobId");
    private static readonly ResiliencePropertyKey<ExceptionDispatchInfo> LastFailureKey = new("LongJobs.LastStoreFailure");

    private readonly IJobAttempts _attempts;
    private readonly IJobRecords _records;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly ResiliencePipeline _whileUnavailable;

    public JobStateWriter(IJobAttempts attempts, IJobRecords records, TimeProvider time, ILogger logger, CancellationToken shutdown)
    {
        _attempts = attempts;
        _records = records;
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
        WriteAsync(id, static (attempts, state) => attempts.TryStartAsync(state.Id, state.Time.GetUtcNow()), (Id: id, Time: _time));

    /// <summary>Starts the next attempt of a job whose attempt <paramref name="failedAttempt"/> failed.</summary>
    /// <returns>The new state, or <see langword="null"/> when the job no longer runs here in that attempt.</returns>
    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, string message) =>
        WriteAsync(id, static (attempts, state) => attempts.TryStartNextAttemptAsync(state.Id, state.FailedAttempt, state.Message), (Id: id, FailedAttempt: failedAttempt, Message: message));

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
                    static async (attempts, state) =>
                        await attempts.TryFinishAsync(state.Id, state.Expected, state.ExpectedAttempt, state.Outcome).ConfigureAwait(false)
                        ?? await state.Records.GetAsync(state.Id).ConfigureAwait(false),
                    (known.Id, Expected: expected, ExpectedAttempt: expectedAttempt, Outcome: outcome, Records: _records))
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
    /// Runs <paramref name="write"/>: once, and when the store cannot be reached, again under the retry pipeline. Most
    /// writes go through at the first try, which therefore runs outside the pipeline and costs no more than the store's
    /// call; a try made while the host stops is the only one.
    /// </summary>
    private async ValueTask<T> WriteAsync<T, TState>(Guid jobId, Func<IJobAttempts, TState, ValueTask<T>> write, TState state)
    {
        try
        {
            return await write(_attempts, state).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException failure) when (!_shutdown.IsCancellationRequested)
        {
            return await RetryAsync(jobId, new Retries<T, TState>(write, _attempts, state, failure)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tries again under the pipeline, whose token is the host's shutdown: a stop ends a wait between tries, and the
    /// failure is then the store's last exception, with its own stack.
    /// </summary>
    private async ValueTask<T> RetryAsync<T, TState>(Guid jobId, Retries<T, TState> retries)
    {
        var context = ResilienceContextPool.Shared.Get(_shutdown);
        context.Properties.Set(JobIdKey, jobId);
        context.Properties.Set(LastFailureKey, retries.FirstFailure);
        try
        {
            return await _whileUnavailable.ExecuteAsync(static (_, retries) => retries.TryAsync(), context, retries).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            context.Properties.GetValue(LastFailureKey, retries.FirstFailure).Throw();
            throw;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// The tries of one write under the pipeline. The pipeline's first call gives the failure of the try already made,
    /// so the pipeline waits before it tries again, as it does between any two tries.
    /// </summary>
    private sealed class Retries<T, TState>(Func<IJobAttempts, TState, ValueTask<T>> write, IJobAttempts attempts, TState state, Exception firstFailure)
    {
        private bool _replayed;

        public ExceptionDispatchInfo FirstFailure { get; } = ExceptionDispatchInfo.Capture(firstFailure);

        public ValueTask<T> TryAsync()
        {
            if (!_replayed)
            {
                _replayed = true;
                return ValueTask.FromException<T>(FirstFailure.SourceException);
            }

            return write(attempts, state);
        }
    }
}
