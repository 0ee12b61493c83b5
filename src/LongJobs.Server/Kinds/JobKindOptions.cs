using LongJobs.Server.Jobs;

namespace LongJobs.Server.Kinds;

/// <summary>Settings of one job kind, given when it is registered with <c>AddJob</c>.</summary>
public sealed class JobKindOptions
{
    private readonly List<Func<FinishedJob, CancellationToken, Task>> _finishedCallbacks = [];
    private readonly List<(Type RequestType, JobScheduleDefinition Schedule)> _schedules = [];

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

    /// <summary>
    /// The most jobs of the kind running at once on all the servers sharing the store: for work that calls a service that
    /// takes only so many calls at a time from everyone (a rate-limited API, a licence). The store enforces it as it
    /// claims: no server claims a job of the kind while that many run anywhere.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit across servers; from 1 to 100,000.</value>
    public int? MaxClusterConcurrency { get; set; }

    /// <summary>
    /// Gives each job of the kind its own priority, computed from its request (an express order, say), instead of
    /// <see cref="Priority"/>: in code, in recurring schedules and over REST, where a start's <c>LongJobs-Priority</c>
    /// header (or a batch item's <c>priority</c>) still decides when given.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type, as given to <c>AddJob</c>.</typeparam>
    /// <param name="priority">
    /// Computes the priority, from <see cref="MinPriority"/> to <see cref="MaxPriority"/>. It must not throw: a request it
    /// throws for, or gives a priority out of range, is refused.
    /// </param>
    /// <returns>These options, to chain calls.</returns>
    public JobKindOptions PriorityBy<TRequest>(Func<TRequest, int> priority)
    {
        ArgumentNullException.ThrowIfNull(priority);
        PriorityOfRequest = (typeof(TRequest), request => priority((TRequest)request));
        return this;
    }

    /// <summary>The priority of a job of the kind, computed from its request by <see cref="PriorityBy{TRequest}"/>, and the request type it was given for.</summary>
    internal (Type RequestType, Func<object, int> Priority)? PriorityOfRequest { get; private set; }

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

    /// <summary>The recurring schedules added with <see cref="AddSchedule{TRequest}"/>, and the request type each was given for.</summary>
    internal IReadOnlyList<(Type RequestType, JobScheduleDefinition Schedule)> Schedules => _schedules;

    /// <summary>
    /// Starts a job of the kind on a recurring schedule: at each time the cron expression gives, one job with
    /// <paramref name="request"/>, started exactly once however many servers share the store (the store records each
    /// schedule's last due time, and only the server that moves it forward starts the job, in the same write). Each
    /// occurrence is an ordinary job of the kind; it has no owner, so like a job started in code it is read by its ID and
    /// listed for administrators. A schedule is listed with its next and last run, and paused and resumed, in code (<c>IJobScheduler</c>) and
    /// over REST (<c>{prefix}/schedules</c>). The first occurrence is the first due after a server first ran the
    /// schedule; a kind whose jobs are unique (<see cref="UniqueBy{TRequest}"/>) starts nothing for an occurrence while
    /// the previous one still runs.
    /// </summary>
    /// <typeparam name="TRequest">The kind's request type, as given to <c>AddJob</c>.</typeparam>
    /// <param name="name">The schedule's name: lowercase words joined by hyphens, at most 64 characters, unique among every kind's schedules.</param>
    /// <param name="cron">
    /// When it runs: five fields (minute, hour, day of month, month, day of week), six with seconds first, or a macro
    /// such as <c>@daily</c>; read in <see cref="JobScheduleOptions.TimeZone"/>.
    /// </param>
    /// <param name="request">The request of each occurrence's job; validated when the server starts.</param>
    /// <param name="configure">Sets the time zone and what to do with missed occurrences.</param>
    /// <returns>These options, to chain calls.</returns>
    /// <exception cref="ArgumentException">The name or the cron expression is not valid, or the name is taken.</exception>
    public JobKindOptions AddSchedule<TRequest>(string name, string cron, TRequest request, Action<JobScheduleOptions>? configure = null)
        where TRequest : notnull
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(request);
        if (!JobKindRegistry.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid schedule name: lowercase letters and digits, words joined by single hyphens, starting with a letter, at most 64 characters.", nameof(name));
        }

        if (_schedules.Any(schedule => schedule.Schedule.Name == name))
        {
            throw new ArgumentException($"The kind already has a schedule named '{name}'.", nameof(name));
        }

        var options = new JobScheduleOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MisfireThreshold, TimeSpan.FromSeconds(1), "MisfireThreshold");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MisfireThreshold, JobScheduleDefinition.MaxMisfireThreshold, "MisfireThreshold");
        if (!Enum.IsDefined(options.Misfire))
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.Misfire, "Misfire is not a ScheduleMisfirePolicy.");
        }

        var schedule = new JobScheduleDefinition(name, CronSchedule.Parse(cron, options.TimeZone ?? TimeZoneInfo.Utc), request, options.Misfire, options.MisfireThreshold);
        _schedules.Add((typeof(TRequest), schedule));
        return this;
    }

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
