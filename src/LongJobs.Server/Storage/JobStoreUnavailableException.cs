namespace LongJobs.Server.Storage;

/// <summary>
/// Thrown by an <see cref="IJobStore"/> whose storage cannot serve it for now (a database that is down or
/// restarting, or that rejects the store's credentials). The REST API answers 503 with <c>Retry-After</c>; nothing
/// already stored is lost.
/// </summary>
public sealed class JobStoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="innerException">The storage's own error.</param>
    public JobStoreUnavailableException(Exception innerException)
        : base("The job store cannot be reached; try again later.", innerException)
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong (the health check reports it).</summary>
    /// <param name="message">What is wrong, on one line, for an operator.</param>
    /// <param name="innerException">The storage's own error.</param>
    public JobStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Whether the operation may have reached the store, so a change it asked for may have been made although it
    /// failed; <see langword="false"/> when it certainly did not (no connection was ever made), so nothing changed.
    /// </summary>
    /// <value>The default value is <see langword="true"/>: a store that cannot tell says it may have.</value>
    public bool MayHaveChanged { get; init; } = true;
}
