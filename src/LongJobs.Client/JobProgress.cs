using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>Where a job stands, as told to an <see cref="IProgress{T}"/> while it is awaited.</summary>
/// <param name="Status">Where the job is in its lifecycle.</param>
/// <param name="Fraction">Completed fraction of the work, from 0 to 1.</param>
/// <param name="Message">The job's last progress message, if any.</param>
/// <param name="Attempt">The job's attempt: 0 while it waits, then 1, and more when it is retried.</param>
public sealed record JobProgress(JobStatus Status, double Fraction, string? Message, int Attempt)
{
    /// <summary>The progress that <paramref name="state"/> shows.</summary>
    /// <param name="state">A job's state.</param>
    /// <returns>The job's status, progress, message and attempt.</returns>
    public static JobProgress Of(JobInfo state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.Status, state.Progress, state.ProgressMessage, state.Attempt);
    }
}
