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

    /// <summary>
    /// How soon a job of the kind is claimed among queued jobs: higher first; each level puts a job ahead of the jobs one
    /// level below created up to a minute before it, so a job of a lower priority waits at most a minute per level of
    /// difference behind jobs created after it, never forever. Jobs of one priority are claimed oldest first. A start over
    /// REST may set a job's own (<c>LongJobs-Priority</c>).
    /// </summary>
    /// <value>The default value is 0; from <see cref="MinPriority"/> to <see cref="MaxPriority"/>.</value>
    public int Priority { get; set; }

    /// <summary>
    /// The most jobs of the kind that one server runs at once, within its <see cref="LongJobsOptions.MaxConcurrency"/>: for
    /// work that is heavy on one resource (memory, a local disk) or that calls a service that takes only so much. A server
    /// claims no job of the kind while it runs that many; other kinds take the free slots meanwhile.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: only the server's <see cref="LongJobsOptions.MaxConcurrency"/> bounds it; from 1 to 1024.</value>
    public int? MaxConcurrency { get; set; }

    /// <summary>The lowest <see cref="Priority"/>.</summary>
    public const int MinPriority = -1000;

    /// <summary>The highest <see cref="Priority"/>.</summary>
    public const int MaxPriority = 1000;

    /// <summary>
    /// The uniqueness key of a job of the kind, computed from its request by <see cref="UniqueBy{TRequest}"/>, and the
    /// request type it was given for; <see langword="null"/> when jobs of the kind are not unique.
    /// </summary>
    internal (Type RequestType, Func<object, string?> Key)? UniqueKey { get; private set; }

    /// <summary>The callbacks added with <see cref="OnFinished"/>, in order.</summary>
    internal IReadOnlyList<Func<FinishedJob, CancellationToken, Task>> FinishedCallbacks => _finishedCallbacks;

    /// <summary>
    /// Makes jobs of the kind unique by a key computed from their request (a customer's ID, say): while a job of the kind
    /// with that key is scheduled, queued or running, on any server sharing the store, starting another one starts
    /// nothing and answers with that job (over REST: 200 with its state and <c>LongJobs-Deduplicated: true</c>). Once the
    /// job has finished, the key is free again. Distinct from <c>Idempotency-Key</c>, which makes one client's retries
    /// safe and is checked first.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type, as given to <c>AddJob</c>.</typeparam>
    /// <param name="key">
    /// Computes the key: 1 to <see cref="MaxUniqueKeyLength"/> characters, compared as they are (ordinal); <see langword="null"/>
    /// when this request's job need not be unique. It must not throw: a request it throws for is refused.
    /// </param>
    /// <returns>These options, to chain calls.</returns>
    public JobKindOptions UniqueBy<TRequest>(Func<TRequest, string?> key)
    {
        ArgumentNullException.ThrowIfNull(key);
        UniqueKey = (typeof(TRequest), request => key((TRequest)request));
        return this;
    }

    /// <summary>The longest uniqueness key that <see cref="UniqueBy{TRequest}"/> may compute.</summary>
    public const int MaxUniqueKeyLength = 255;

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
