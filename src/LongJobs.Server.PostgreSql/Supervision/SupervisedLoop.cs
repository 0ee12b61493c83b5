using LongJobs.Server.PostgreSql.Connections;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.PostgreSql.Supervision;

/// <summary>
/// Keeps one of the store's background loops going whatever fails. A step that throws (anything but the loop's own
/// stop) runs again after an exponential backoff with jitter, through a Polly pipeline, for as long as the loop runs.
/// Failures are logged once per episode: a warning when the first one comes (an error with its stack trace when it is
/// not the database being out of reach), one line when a step works again, saying after how many failures and how
/// long, and in between only at the debug level.
/// </summary>
internal sealed partial class SupervisedLoop
{
    /// <summary>The event IDs of the loop's log lines: the first failure of an episode, the end of it, and the failures between.</summary>
    internal const int OutOfReachEvent = 101, FailedEvent = 102, RecoveredEvent = 103, FailedAgainEvent = 104;

    private readonly string _name;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private int _failures;
    private long _failingSince;

    /// <param name="name">What the loop does, as the log says it: "Renewing job leases".</param>
    /// <param name="logger">Where the episodes are logged.</param>
    /// <param name="time">Times the backoff and the episodes.</param>
    /// <param name="firstDelay">The delay before a failed step runs again the first time; it doubles with each failure.</param>
    /// <param name="maxDelay">The longest delay between two runs of a failing step.</param>
    public SupervisedLoop(string name, ILogger logger, TimeProvider time, TimeSpan firstDelay, TimeSpan maxDelay)
    {
        _name = name;
        _logger = logger;
        _time = time;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = arguments => ValueTask.FromResult(
                    arguments.Outcome.Exception is { } exception && !(exception is OperationCanceledException && arguments.Context.CancellationToken.IsCancellationRequested)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstDelay,
                MaxDelay = maxDelay,
                OnRetry = arguments =>
                {
                    Failed(arguments.Outcome.Exception!);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>How many times the loop failed since it last worked.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _failures);

    /// <summary>Runs <paramref name="step"/> until it succeeds; only <paramref name="stoppingToken"/> ends the tries (with <see cref="OperationCanceledException"/>).</summary>
    public async ValueTask<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> step, CancellationToken stoppingToken)
    {
        var result = await _pipeline.ExecuteAsync(step, stoppingToken).ConfigureAwait(false);
        Succeeded();
        return result;
    }

    /// <summary>Runs <paramref name="step"/> until it succeeds; only <paramref name="stoppingToken"/> ends the tries (with <see cref="OperationCanceledException"/>).</summary>
    public ValueTask RunAsync(Func<CancellationToken, ValueTask> step, CancellationToken stoppingToken) =>
        new(RunAsync(
            async token =>
            {
                await step(token).ConfigureAwait(false);
                return true;
            },
            stoppingToken).AsTask());

    /// <summary>
    /// Runs <paramref name="step"/> once: a failure is logged as part of the episode and not thrown, for a step that
    /// the loop makes up for later (a cancellation that the next heartbeat delivers anyway).
    /// </summary>
    public async ValueTask TryOnceAsync(Func<CancellationToken, ValueTask> step, CancellationToken stoppingToken)
    {
        try
        {
            await step(stoppingToken).ConfigureAwait(false);
            Succeeded();
        }
        catch (Exception exception) when (!(exception is OperationCanceledException && stoppingToken.IsCancellationRequested))
        {
            Failed(exception);
        }
    }

    /// <summary>Records a failure that the loop saw outside a step, such as a connection that broke while it waited.</summary>
    public void Failed(Exception exception)
    {
        var failures = Interlocked.Increment(ref _failures);
        if (failures != 1)
        {
            FailedAgain(_logger, _name, failures, exception.Message);
            return;
        }

        Interlocked.Exchange(ref _failingSince, _time.GetTimestamp());
        if (exception is Storage.JobStoreUnavailableException { InnerException: { } cause })
        {
            DatabaseOutOfReach(_logger, _name, cause.Message);
        }
        else if (DatabaseFailures.IsUnavailable(exception))
        {
            DatabaseOutOfReach(_logger, _name, exception.Message);
        }
        else
        {
            LoopFailed(_logger, exception, _name);
        }
    }

    /// <summary>Ends the current episode of failures, if any, with one line that says how long it lasted.</summary>
    public void Succeeded()
    {
        var failures = Interlocked.Exchange(ref _failures, 0);
        if (failures > 0)
        {
            LoopRecovered(_logger, _name, failures, _time.GetElapsedTime(Interlocked.Read(ref _failingSince)));
        }
    }

    [LoggerMessage(OutOfReachEvent, LogLevel.Warning, "{Loop} failed: the job database cannot be reached ({Reason}). It keeps trying; a line will say when it works again.")]
    private static partial void DatabaseOutOfReach(ILogger logger, string loop, string reason);

    [LoggerMessage(FailedEvent, LogLevel.Error, "{Loop} failed unexpectedly. It keeps trying; a line will say when it works again.")]
    private static partial void LoopFailed(ILogger logger, Exception exception, string loop);

    [LoggerMessage(RecoveredEvent, LogLevel.Information, "{Loop} works again, after {Failures} failures in {Duration}.")]
    private static partial void LoopRecovered(ILogger logger, string loop, int failures, TimeSpan duration);

    [LoggerMessage(FailedAgainEvent, LogLevel.Debug, "{Loop} failed again ({Failures} in a row): {Reason}")]
    private static partial void FailedAgain(ILogger logger, string loop, int failures, string reason);
}
