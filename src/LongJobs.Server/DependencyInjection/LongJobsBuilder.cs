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
        where TResult : class
    {
        _kinds.Add(new JobKind<THandler, TRequest, TResult>(kind));
        Services.TryAddScoped<THandler>();
        return this;
    }
}
