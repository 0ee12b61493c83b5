using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures LongJobs after <see cref="LongJobsServiceCollectionExtensions.AddLongJobs(IServiceCollection)"/>: job kinds and, later, stores.</summary>
public sealed class LongJobsBuilder
{
    private readonly JobKindRegistry _kinds;

    internal LongJobsBuilder(IServiceCollection services, JobKindRegistry kinds)
    {
        Services = services;
        _kinds = kinds;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a job kind: <c>POST /api/jobs/{kind}</c> starts it with a <typeparamref name="TRequest"/>, and
    /// <typeparamref name="THandler"/>, resolved in a scope of its own for every job, does the work.
    /// </summary>
    /// <typeparam name="THandler">The handler; registered as scoped unless already registered.</typeparam>
    /// <typeparam name="TRequest">The request: JSON-serialisable, validated with data annotations.</typeparam>
    /// <typeparam name="TResult">The result: a JSON-serialisable class or record (an object in JSON, so it can grow fields later).</typeparam>
    /// <param name="kind">The kind's name: at most 64 lowercase letters and digits in words joined by hyphens, starting with a letter.</param>
    /// <returns>This builder, to chain calls.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a valid name.</exception>
    /// <exception cref="InvalidOperationException">A kind with that name is already registered.</exception>
    public LongJobsBuilder AddJob<THandler, TRequest, TResult>(string kind)
        where THandler : class, IJobHandler<TRequest, TResult>
        where TRequest : notnull
        where TResult : class =>
        AddJob<THandler, TRequest, TResult>(kind, static _ => { });

    /// <summary>
    /// Registers a job kind with settings of its own, such as its retry policy: <c>POST /api/jobs/{kind}</c> starts
    /// it with a <typeparamref name="TRequest"/>, and <typeparamref name="THandler"/>, resolved in a scope of its
    /// own for every attempt, does the work.
    /// </summary>
    /// <typeparam name="THandler">The handler; registered as scoped unless already registered.</typeparam>
    /// <typeparam name="TRequest">The request: JSON-serialisable, validated with data annotations.</typeparam>
    /// <typeparam name="TResult">The result: a JSON-serialisable class or record (an object in JSON, so it can grow fields later).</typeparam>
    /// <param name="kind">The kind's name: at most 64 lowercase letters and digits in words joined by hyphens, starting with a letter.</param>
    /// <param name="configure">Sets the kind's options.</param>
    /// <returns>This builder, to chain calls.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a valid name, or the options are out of range.</exception>
    /// <exception cref="InvalidOperationException">A kind with that name is already registered.</exception>
    public LongJobsBuilder AddJob<THandler, TRequest, TResult>(string kind, Action<JobKindOptions> configure)
        where THandler : class, IJobHandler<TRequest, TResult>
        where TRequest : notnull
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new JobKindOptions();
        configure(options);
        EnsureValid(kind, options.Retry);
        if (options.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            throw new ArgumentException($"The timeout of job kind '{kind}' must be more than zero and at most {MaxTimeout.TotalDays} days.", nameof(configure));
        }

        if (options.MaxConcurrency is < 1 or > 1024)
        {
            throw new ArgumentException($"The MaxConcurrency of job kind '{kind}' must be from 1 to 1024.", nameof(configure));
        }

        if (options.MaxClusterConcurrency is < 1 or > 100_000)
        {
            throw new ArgumentException($"The MaxClusterConcurrency of job kind '{kind}' must be from 1 to 100,000.", nameof(configure));
        }

        if (options.Priority is < JobKindOptions.MinPriority or > JobKindOptions.MaxPriority)
        {
            throw new ArgumentException($"The priority of job kind '{kind}' must be from {JobKindOptions.MinPriority} to {JobKindOptions.MaxPriority}.", nameof(configure));
        }

        if (options.UniqueKey is { RequestType: var uniqueType } && uniqueType != typeof(TRequest))
        {
            throw new ArgumentException($"Job kind '{kind}' takes a {typeof(TRequest).Name}: its unique key is computed with UniqueBy<{typeof(TRequest).Name}>, not UniqueBy<{uniqueType.Name}>.", nameof(configure));
        }

        _kinds.Add(new JobKind<THandler, TRequest, TResult>(kind, options));
        Services.TryAddScoped<THandler>();
        foreach (var callback in options.FinishedCallbacks)
        {
            Services.AddSingleton(new JobFinishedCallback(kind, callback));
        }

        return this;
    }

    /// <summary>
    /// Adds code to run when any job finishes (succeeded, failed or cancelled), on the server that finished it,
    /// after its outcome is recorded: the modern <c>job.Task.ContinueWith(...)</c>. Callbacks run in the
    /// background, those for every job before those of the job's kind; an exception one throws is logged and never
    /// changes the job's outcome.
    /// </summary>
    /// <param name="callback">The callback; its token is signalled when the server stops.</param>
    /// <returns>This builder, to chain calls.</returns>
    public LongJobsBuilder OnJobFinished(Func<FinishedJob, CancellationToken, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Services.AddSingleton(new JobFinishedCallback(Kind: null, callback));
        return this;
    }

    /// <summary>The longest <see cref="JobKindOptions.Timeout"/>: beyond it a timer cannot be set.</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(30);

    private static void EnsureValid(string kind, JobRetryOptions retry)
    {
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(retry, new ValidationContext(retry), errors, validateAllProperties: true))
        {
            throw new ArgumentException($"The retry options of job kind '{kind}' are not valid: {string.Join(" ", errors.Select(error => error.ErrorMessage))}", nameof(kind));
        }

        if (retry.ShouldRetry is null)
        {
            throw new ArgumentException($"The retry options of job kind '{kind}' need a {nameof(JobRetryOptions.ShouldRetry)} predicate.", nameof(kind));
        }
    }
}
