using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Kinds;

/// <summary>A registered job kind: its name, its request and result types, and how to run its handler.</summary>
internal abstract class JobKind(string name, Type requestType, Type resultType, JobKindOptions options)
{
    public string Name { get; } = JobKindRegistry.EnsureValidName(name);

    public Type RequestType { get; } = requestType;

    public Type ResultType { get; } = resultType;

    /// <summary>How often a job of this kind may run, and when it runs again.</summary>
    public JobRetryOptions Retry { get; } = options.Retry;

    /// <summary>How long one attempt may run, or <see langword="null"/> for no limit.</summary>
    public TimeSpan? Timeout { get; } = options.Timeout;

    /// <summary>The most jobs of the kind one server runs at once, or <see langword="null"/> for no limit of its own.</summary>
    public int? MaxConcurrency { get; } = options.MaxConcurrency;

    /// <summary>The most jobs of the kind running at once on all servers sharing the store, or <see langword="null"/> for no such limit.</summary>
    public int? MaxClusterConcurrency { get; } = options.MaxClusterConcurrency;

    /// <summary>How soon the kind's jobs are claimed among queued jobs, unless a start gives a job its own.</summary>
    public int Priority { get; } = options.Priority;

    /// <summary>The kind's recurring schedules (<see cref="JobKindOptions.AddSchedule{TRequest}"/>).</summary>
    public IReadOnlyList<JobScheduleDefinition> Schedules { get; } = [.. options.Schedules.Select(schedule =>
        requestType.IsAssignableFrom(schedule.RequestType)
            ? schedule.Schedule
            : throw new ArgumentException($"The schedule '{schedule.Schedule.Name}' of job kind '{name}' gives a {schedule.RequestType.Name}; the kind takes a {requestType.Name}.", nameof(options)))];

    /// <summary>Computes a request's uniqueness key, when the kind's jobs are unique (<see cref="JobKindOptions.UniqueBy{TRequest}"/>).</summary>
    private readonly Func<object, string?>? _uniqueKey = options.UniqueKey?.Key;

    /// <summary>
    /// The uniqueness key of <paramref name="request"/>'s job, or <see langword="null"/> when the kind's jobs are not unique
    /// or this one need not be.
    /// </summary>
    /// <exception cref="ArgumentException">The key cannot be computed (the key function threw: the inner exception), or is empty or too long.</exception>
    public string? UniqueKeyOf(object request)
    {
        if (_uniqueKey is null)
        {
            return null;
        }

        string? key;
        try
        {
            key = _uniqueKey(request);
        }
        catch (Exception exception)
        {
            throw new ArgumentException($"The unique key of a job of kind '{Name}' could not be computed from its request.", nameof(request), exception);
        }

        return key is null or { Length: > 0 and <= JobKindOptions.MaxUniqueKeyLength }
            ? key
            : throw new ArgumentException($"The unique key of a job of kind '{Name}' must have 1 to {JobKindOptions.MaxUniqueKeyLength} characters; this request's has {key.Length}.", nameof(request));
    }

    /// <summary>Computes a request's priority, when the kind's jobs have their own (<see cref="JobKindOptions.PriorityBy{TRequest}"/>).</summary>
    private readonly Func<object, int>? _priority = options.PriorityOfRequest is { } priority
        ? requestType.IsAssignableFrom(priority.RequestType)
            ? priority.Priority
            : throw new ArgumentException($"The priority function of job kind '{name}' takes a {priority.RequestType.Name}; the kind takes a {requestType.Name}.", nameof(options))
        : null;

    /// <summary>The priority of <paramref name="request"/>'s job: computed from it, or else the kind's.</summary>
    /// <exception cref="ArgumentException">The priority cannot be computed (the function threw: the inner exception), or is out of range.</exception>
    public int PriorityOf(object request)
    {
        if (_priority is null)
        {
            return Priority;
        }

        int priority;
        try
        {
            priority = _priority(request);
        }
        catch (Exception exception)
        {
            throw new ArgumentException($"The priority of a job of kind '{Name}' could not be computed from its request.", nameof(request), exception);
        }

        return priority is >= JobKindOptions.MinPriority and <= JobKindOptions.MaxPriority
            ? priority
            : throw new ArgumentException($"The priority of a job of kind '{Name}' must be from {JobKindOptions.MinPriority} to {JobKindOptions.MaxPriority}; this request's is {priority}.", nameof(request));
    }

    /// <summary>The name in operation IDs: <c>count-primes</c> is <c>CountPrimes</c> (<c>StartCountPrimesJob</c>).</summary>
    public string OperationName { get; } = string.Concat(name.Split('-').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));

    /// <summary>Creates the handle of a job of this kind.</summary>
    public abstract LongRunningJob CreateJob(Storage.JobRecord state);

    /// <summary>Binds the work of one job: resolve the handler in a new scope and run it on <paramref name="request"/>.</summary>
    public abstract Func<JobContext, CancellationToken, Task<object?>> CreateWork(object request, IServiceScopeFactory scopes);
}

/// <summary>A job kind whose work is done by <typeparamref name="THandler"/>.</summary>
internal sealed class JobKind<THandler, TRequest, TResult>(string name, JobKindOptions options) : JobKind(name, typeof(TRequest), typeof(TResult), options)
    where THandler : class, IJobHandler<TRequest, TResult>
    where TRequest : notnull
    where TResult : class
{
    public override LongRunningJob CreateJob(Storage.JobRecord state) => new LongRunningJob<TResult>(state);

    public override Func<JobContext, CancellationToken, Task<object?>> CreateWork(object request, IServiceScopeFactory scopes)
    {
        var typedRequest = (TRequest)request;
        return async (context, cancellationToken) =>
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var handler = scope.ServiceProvider.GetRequiredService<THandler>();
                return await handler.ExecuteAsync(typedRequest, context, cancellationToken).ConfigureAwait(false);
            }
        };
    }
}
