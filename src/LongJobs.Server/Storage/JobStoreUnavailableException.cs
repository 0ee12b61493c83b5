namespace LongJobs.Server.Storage;

/// <summary>
/// Thrown by an <see cref="IJobStore"/> that cannot reach its storage for now (a database that is down or
/// restarting). The REST API answers 503 with <c>Retry-After</c>; nothing already stored is lost.
/// </summary>
public sealed class JobStoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="innerException">The storage's own error.</param>
    public JobStoreUnavailableException(Exception innerException)
        : base("The job store cannot be reached; try again later.", innerException)
    {
    }
}
