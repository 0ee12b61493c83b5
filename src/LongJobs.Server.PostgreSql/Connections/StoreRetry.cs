using Polly;
using Polly.Retry;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>
/// The one retry pipeline of the store's database calls: a call that fails because the database is out of reach for
/// a moment (a connection attempt that timed out, a server restarting) runs again after an exponential backoff with
/// jitter, a few times at most; then the caller learns that the store is unavailable (503). A call is repeated only
/// when that is safe: when it failed before anything was sent, when the server rejected it (it rolled back), or when
/// running it twice has the effect of running it once (<see cref="Repeatable"/>).
/// </summary>
internal static class StoreRetry
{
    /// <summary>How many times a call runs again at most.</summary>
    public const int MaxRetryAttempts = 3;

    /// <summary>The delay before the first repetition; each next one doubles it, with jitter.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two attempts.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>Whether running the call twice has the effect of running it once: then it may be repeated even when its outcome is unknown.</summary>
    public static readonly ResiliencePropertyKey<bool> Repeatable = new("LongJobs.PostgreSql.Repeatable");

    /// <summary>Set by an attempt once it may have sent something to the database (its connection is open).</summary>
    public static readonly ResiliencePropertyKey<bool> Sent = new("LongJobs.PostgreSql.Sent");

    /// <summary>Builds the pipeline; its delays follow <paramref name="time"/>.</summary>
    public static ResiliencePipeline Create(TimeProvider time, Func<OnRetryArguments<object>, ValueTask>? onRetry = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception && ShouldRetry(exception, arguments.Context)),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                OnRetry = onRetry,
            })
            .Build();

    /// <summary>Whether an attempt that failed with <paramref name="exception"/> may run again.</summary>
    public static bool ShouldRetry(Exception exception, ResilienceContext context) =>
        DatabaseFailures.IsUnavailable(exception)
        && (!context.Properties.GetValue(Sent, false) || context.Properties.GetValue(Repeatable, false) || DatabaseFailures.RolledBack(exception));
}
