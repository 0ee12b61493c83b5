using LongJobs.Server.Jobs;

namespace LongJobs.Server.Kinds;

/// <summary>Settings of one job kind, given when it is registered with <c>AddJob</c>.</summary>
public sealed class JobKindOptions
{
    private readonly List<Func<FinishedJob, CancellationToken, Task>> _finishedCallbacks = [];

    /// <summary>How often a job of the kind may run, and when it runs again.</summary>
    public JobRetryOptions Retry { get; } = new();

    /// <summary>
    /// How long one attempt may run. Past it the attempt's token is signalled and the attempt fails with a
    /// <c>JobTimeoutException</c> (retried only if <see cref="JobRetryOptions.ShouldRetry"/> says so);
    /// work that ignores the signal is left behind, so a job that never returns cannot hold its slot.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public TimeSpan? Timeout { get; set; }

    /// <summary>The callbacks added with <see cref="OnFinished"/>, in order.</summary>
    internal IReadOnlyList<Func<FinishedJob, CancellationToken, Task>> FinishedCallbacks => _finishedCallbacks;

    /// <summary>
    /// Adds code to run when a job of the kind finishes (succeeded, failed or cancelled), on the server that
    /// finished it, after its outcome is recorded: the modern <c>job.Task.ContinueWith(...)</c>. An exception it
    /// throws is logged; it never changes the job's outcome.
    /// </summary>
    /// <param name="callback">The callback; its token is signalled when the server stops.</param>
    /// <returns>These options, to chain calls.</returns>
    public JobKindOptions OnFinished(Func<FinishedJob, CancellationToken, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _finishedCallbacks.Add(callback);
        return this;
    }
}
