using System.Globalization;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// The retry pipeline of each registered kind that may run more than once (Polly): the exceptions the kind calls
/// transient run the work again in place, with exponential backoff and jitter, while the job has attempts left; before
/// each retry the next attempt is recorded, so it shows in the job's state. Each attempt runs through the
/// <see cref="AttemptRunner"/>, which applies the kind's timeout.
/// </summary>
internal sealed class KindPipelines
{
    private static readonly ResiliencePropertyKey<JobWorkItem> WorkItemKey = new("LongJobs.WorkItem");

    private readonly Dictionary<JobKind, ResiliencePipeline> _pipelines = [];
    private readonly AttemptRunner _attempts;
    private readonly JobStateWriter _writer;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _includeExceptionDetails;

    public KindPipelines(JobKindRegistry kinds, AttemptRunner attempts, JobStateWriter writer, TimeProvider time, bool includeExceptionDetails, ILogger logger)
    {
        _attempts = attempts;
        _writer = writer;
        _logger = logger;
        _time = time;
        _includeExceptionDetails = includeExceptionDetails;
        foreach (var kind in kinds.Kinds.Where(kind => kind.Retry.MaxAttempts > 1))
        {
            _pipelines[kind] = Build(kind, time);
        }
    }

    /// <summary>Runs the work of <paramref name="item"/>: one attempt, or attempts under its kind's retry pipeline.</summary>
    public async ValueTask<object?> ExecuteAsync(JobWorkItem item, CancellationToken cancellationToken)
    {
        if (item.Kind is not { } kind || !_pipelines.TryGetValue(kind, out var pipeline))
        {
            return await _attempts.RunAsync(item, cancellationToken).ConfigureAwait(false);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(WorkItemKey, item);
        try
        {
            return await pipeline.ExecuteAsync(
                static async (context, state) => await state.Attempts.RunAsync(state.Item, context.CancellationToken).ConfigureAwait(false),
                context,
                (Attempts: _attempts, Item: item)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline Build(JobKind kind, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = kind.Retry.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = kind.Retry.Delay,
                MaxDelay = kind.Retry.MaxDelay,
                ShouldHandle = arguments => ValueTask.FromResult(
                    arguments.Outcome.Exception is { } exception
                    && exception is not OperationCanceledException
                    && arguments.Context.Properties.GetValue(WorkItemKey, null!).Attempt < kind.Retry.MaxAttempts
                    && IsTransient(kind, exception)),
                OnRetry = arguments => OnRetryAsync(arguments.Context.Properties.GetValue(WorkItemKey, null!), arguments.Outcome.Exception!, arguments.RetryDelay),
            })
            .Build();

    private bool IsTransient(JobKind kind, Exception exception)
    {
        try
        {
            return kind.Retry.ShouldRetry(exception);
        }
        catch (Exception predicateFailure)
        {
            Log.JobFailed(_logger, predicateFailure, Guid.Empty, kind.Name);
            return false;
        }
    }

    /// <summary>
    /// Records the next attempt before the backoff, and the failed one with its error; a job no longer running here in
    /// its attempt is stopped.
    /// </summary>
    private async ValueTask OnRetryAsync(JobWorkItem item, Exception exception, TimeSpan delay)
    {
        var failed = item.Attempt;
        Log.JobRetrying(_logger, exception, item.Id, item.Job.Kind, failed, item.Job.Row().MaxAttempts, delay);
        var message = string.Create(CultureInfo.InvariantCulture, $"Attempt {failed} of {item.Job.Row().MaxAttempts} failed; the next starts in {delay.TotalSeconds:0.#} s.");
        var failedAt = _time.GetUtcNow();
        var retry = new JobRetry(message, failedAt, failedAt + delay, JobErrors.FromException(exception, item.Id, _includeExceptionDetails));
        var next = await _writer.TryStartNextAttemptAsync(item.Id, failed, retry).ConfigureAwait(false);
        if (next is null)
        {
            Log.JobLost(_logger, item.Id, item.Job.Kind, failed);
            await item.CancelAsync().ConfigureAwait(false);
            return;
        }

        item.Attempt = next.Attempt;
        item.Job.Update(next);
    }
}
