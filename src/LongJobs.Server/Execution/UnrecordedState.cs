using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution;

/// <summary>The state a job is known to be in when the store could not record it, or no longer holds the job.</summary>
internal static class UnrecordedState
{
    /// <summary><paramref name="state"/> ended with <paramref name="outcome"/>, one version later.</summary>
    public static JobRecord Of(JobRecord state, JobOutcome outcome) => state with
    {
        Status = outcome.Status,
        CompletedAt = outcome.CompletedAt,
        Result = outcome.Result,
        Error = outcome.Error,
        Version = state.Version + 1,
    };
}
