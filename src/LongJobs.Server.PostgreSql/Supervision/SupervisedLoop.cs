using LongJobs.Server.PostgreSql.Connections;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace LongJobs.Server.PostgreSql.Supervision;

/// <summary>
/// Keeps one of the store's background loops going whatever fails. A step that throws (anything but the loop's own
/// stop) runs again after an exponential backoff with jitter, through a Polly pipeline, for as long as the loop runs.
/// An unexpected failure is logged once per episode, as an error with its stack trace, and the end of that episode in
/// one line that says after how many failures and how long; everything else only at the debug level. A database that
/// cannot serve the store is no failure of the loop's own: the store's <see cref="Connections.DatabaseAvailability"/>
/// logs that outage once for all its calls and loops, so the loop keeps it at the debug level.
/// </summary>
internal sealed partial class SupervisedLoop
{
    /// <summary>The event IDs of the loop's log lines: the first unexpected failure of an episode, the end of the episode, and the other failures.</summary>
    internal const int FailedEvent = 102, RecoveredEvent = 103, FailedAgainEvent = 104;

    private readonly string _name;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private int _failures;
    private long _failingSince;
    private int _reported;

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
        if (failures == 1)
        {
            Interlocked.Exchange(ref _failingSince, _time.GetTimestamp());
        }

        var unavailable = exception is Storage.JobStoreUnavailableException || DatabaseFailures.IsUnavailable(exception);
        if (!unavailable && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            LoopFailed(_logger, exception, _name);
            return;
        }

        FailedAgain(_logger, _name, failures, exception.Message.ReplaceLineEndings(" "));
    }

    /// <summary>Ends the current episode of failures, if any, with one line that says how long it lasted (at the debug level when none was reported).</summary>
    public void Succeeded()
    {
        var failures = Interlocked.Exchange(ref _failures, 0);
        if (failures > 0)
        {
            var level = Interlocked.Exchange(ref _reported, 0) == 1 ? LogLevel.Information : LogLevel.Debug;
            var duration = _time.GetElapsedTime(Interlocked.Read(ref _failingSince));
            LoopRecovered(_logger, level, _name, failures, duration);
        }
    }

    [LoggerMessage(FailedEvent, LogLevel.Error, "{Loop} failed unexpectedly. It keeps trying; a line will say when it works again.")]
    private static partial void LoopFailed(ILogger logger, Exception exception, string loop);

    [LoggerMessage(EventId = RecoveredEvent, Message = "{Loop} works again, after {Failures} failures in {Duration}.")]
    private static partial void LoopRecovered(ILogger logger, LogLevel level, string loop, int failures, TimeSpan duration);

    [LoggerMessage(FailedAgainEvent, LogLevel.Debug, "{Loop} failed ({Failures} in a row): {Reason}")]
    private static partial void FailedAgain(ILogger logger, string loop, int failures, string reason);
}
