using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Running;

/// <summary>What every attempt's <see cref="ExecutionJobContext"/> writes progress with: one per scheduler, so a context holds one reference.</summary>
internal sealed class ProgressWriter(IJobAttempts attempts, TimeProvider time, TimeSpan writeInterval, ILogger logger)
{
    public IJobAttempts Attempts { get; } = attempts;

    public TimeProvider Time { get; } = time;

    /// <summary>See <see cref="LongJobsOptions.ProgressWriteInterval"/>.</summary>
    public TimeSpan WriteInterval { get; } = writeInterval;

    public ILogger Logger { get; } = logger;

    /// <summary>The reports the store could not take, logged once per episode for every job.</summary>
    public FailureEpisode Failures { get; } = new("Recording the progress of running jobs", logger, time);
}
