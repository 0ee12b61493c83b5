namespace LongJobs.Server.Storage;

/// <summary>
/// Whether a store's jobs outlive this process, a role of <see cref="IJobStore"/>: the scheduler's topology (local or
/// shared) and the REST API's 404 (a job missing since a restart) depend on it.
/// </summary>
public interface IJobStoreDurability
{
    /// <summary>
    /// Whether jobs outlive this process and other servers sharing the store may run them. A scheduler on a
    /// durable store leaves queued jobs of registered kinds in the store when it stops, for the next server.
    /// </summary>
    bool IsDurable { get; }

    /// <summary>
    /// For a store that keeps jobs in this process's memory (not <see cref="IsDurable"/>): when it started, so a job
    /// created before then is missing because the process restarted, not because it was removed. <see langword="null"/>
    /// for a durable store.
    /// </summary>
    DateTimeOffset? InMemorySince { get; }
}
