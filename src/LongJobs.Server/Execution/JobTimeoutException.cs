namespace LongJobs.Server.Execution;

/// <summary>An attempt of a job ran longer than its kind's <see cref="Kinds.JobKindOptions.Timeout"/>.</summary>
public sealed class JobTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for an attempt that ran past <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The kind's timeout.</param>
    public JobTimeoutException(TimeSpan timeout)
        : base($"The attempt ran longer than its kind's timeout of {timeout}.")
    {
        Timeout = timeout;
    }

    /// <summary>The kind's timeout.</summary>
    public TimeSpan Timeout { get; }
}
