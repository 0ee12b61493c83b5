using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>The awaited job ended <see cref="JobStatus.Failed"/>; <see cref="Problem"/> says why.</summary>
public sealed class JobFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The failed job's ID.</param>
    /// <param name="problem">The server's problem details for the failure.</param>
    public JobFailedException(Guid jobId, ProblemDetails? problem)
        : base($"Job '{jobId}' failed: {problem?.ToString() ?? "no details given."}")
    {
        JobId = jobId;
        Problem = problem;
    }

    /// <summary>The failed job's ID.</summary>
    public Guid JobId { get; }

    /// <summary>The server's problem details for the failure.</summary>
    public ProblemDetails? Problem { get; }
}
