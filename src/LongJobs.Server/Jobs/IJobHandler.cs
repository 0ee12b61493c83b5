namespace LongJobs.Server.Jobs;

/// <summary>
/// The work of a registered job kind. It is resolved from dependency injection in a scope of its own for
/// every job; register it with <c>AddJob&lt;THandler, TRequest, TResult&gt;("kind")</c>.
/// </summary>
/// <typeparam name="TRequest">The kind's request: JSON-serialisable, validated with data annotations.</typeparam>
/// <typeparam name="TResult">The kind's result: JSON-serialisable.</typeparam>
public interface IJobHandler<in TRequest, TResult>
{
    /// <summary>Does the job's work.</summary>
    /// <param name="request">The validated request that started the job.</param>
    /// <param name="context">The job's ID and its progress reporting.</param>
    /// <param name="cancellationToken">Signalled when the job is cancelled or the server shuts down; honour it.</param>
    /// <returns>The job's result.</returns>
    Task<TResult> ExecuteAsync(TRequest request, JobContext context, CancellationToken cancellationToken);
}
