using System.ComponentModel.DataAnnotations;

namespace LongJobs.Server.Kinds;

/// <summary>
/// How often a job of a kind may run, and when it runs again: after an exception that
/// <see cref="ShouldRetry"/> calls transient (in place, after an exponential backoff with jitter), and after the
/// server running it was lost (by any server, from the queue). Every attempt shows in the job's state.
/// </summary>
public sealed class JobRetryOptions
{
    /// <summary>The most attempts a job gets, counting the first one.</summary>
    /// <value>The default value is 3: a job survives two lost servers or transient failures.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The backoff before the first retry; it doubles for each later one, with random jitter.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest backoff between two attempts.</summary>
    /// <value>The default value is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Says whether an exception the handler threw is transient, so the job is retried while it has attempts
    /// left. Cancellation is never retried.
    /// </summary>
    /// <value>The default retries no exception: a handler that throws fails its job, unless you say otherwise.</value>
    public Func<Exception, bool> ShouldRetry { get; set; } = static _ => false;

    /// <summary>Retries the job when its handler throws a <typeparamref name="TException"/> (or a subclass), besides what <see cref="ShouldRetry"/> already retries.</summary>
    /// <typeparam name="TException">A transient exception.</typeparam>
    /// <returns>These options, to chain calls.</returns>
    public JobRetryOptions RetryOn<TException>()
        where TException : Exception
    {
        var previous = ShouldRetry;
        ShouldRetry = exception => exception is TException || previous(exception);
        return this;
    }
}
