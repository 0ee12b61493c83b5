using Polly;
using Polly.Retry;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>
/// The one retry pipeline of the store's database calls: a call that fails because the database is out of reach (a
/// connection attempt that timed out, a server restarting) runs again after an exponential backoff with jitter, for as
/// long as its time allows (<see cref="PostgreSqlJobStoreOptions.RetryTimeout"/>) and at least
/// <see cref="MinRetryAttempts"/> times; then the caller learns that the store is unavailable (503). Bounding by time
/// rather than by count lets a call ride out a busy or restarting server however fast or slow its attempts fail. Only
/// failures that may pass within seconds run again (<see cref="DatabaseFailures.IsRetryable"/>): rejected credentials or
/// a missing database answer 503 at once rather than after <see cref="PostgreSqlJobStoreOptions.RetryTimeout"/>. A call
/// is repeated only when that is safe: when it failed before anything was sent, when the server rejected it (it rolled
/// back), or when running it twice has the effect of running it once (<see cref="Repeatable"/>).
/// </summary>
internal static class StoreRetry
{
    /// <summary>How many times a call runs again at least, however long its attempts took.</summary>
    public const int MinRetryAttempts = 3;

    /// <summary>The delay before the first repetition; each next one doubles it, with jitter.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two attempts.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Whether running the call twice has the effect of running it once: then it may be repeated even when its outcome is unknown.</summary>
    public static readonly ResiliencePropertyKey<bool> Repeatable = new("LongJobs.PostgreSql.Repeatable");

    /// <summary>Set by an attempt once it may have sent something to the database (its connection is open).</summary>
    public static readonly ResiliencePropertyKey<bool> Sent = new("LongJobs.PostgreSql.Sent");

    /// <summary>Set once any attempt of the call may have sent something to the database; never cleared.</summary>
    public static readonly ResiliencePropertyKey<bool> EverSent = new("LongJobs.PostgreSql.EverSent");

    /// <summary>When the call's first attempt began (a <see cref="TimeProvider.GetTimestamp"/>); its time to retry counts from then.</summary>
    public static readonly ResiliencePropertyKey<long> StartedAt = new("LongJobs.PostgreSql.StartedAt");

    /// <summary>Builds the pipeline; its delays and <paramref name="retryTimeout"/> follow <paramref name="time"/>.</summary>
    public static ResiliencePipeline Create(TimeProvider time, TimeSpan retryTimeout, Func<OnRetryArguments<object>, ValueTask>? onRetry = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = arguments => ValueTask.FromResult(
                    arguments.Outcome.Exception is { } exception
                    && ShouldRetry(exception, arguments.Context)
                    && (Elapsed(arguments.Context, time) < retryTimeout || arguments.AttemptNumber < MinRetryAttempts)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                OnRetry = onRetry,
            })
            .Build();

    /// <summary>Whether an attempt that failed with <paramref name="exception"/> may run again.</summary>
    public static bool ShouldRetry(Exception exception, ResilienceContext context) =>
        DatabaseFailures.IsRetryable(exception)
        && (!context.Properties.GetValue(Sent, false) || context.Properties.GetValue(Repeatable, false) || DatabaseFailures.RolledBack(exception));

    /// <summary>How long ago the call's first attempt began; a call that did not say counts from its first failure.</summary>
    public static TimeSpan Elapsed(ResilienceContext context, TimeProvider time)
    {
        if (!context.Properties.TryGetValue(StartedAt, out var startedAt))
        {
            startedAt = time.GetTimestamp();
            context.Properties.Set(StartedAt, startedAt);
        }

        return time.GetElapsedTime(startedAt);
    }
}
