using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Slots;

/// <summary>The store's row behind a <see cref="LongRunningJob"/>: what the scheduler writes from.</summary>
internal static class LongRunningJobRows
{
    /// <summary>
    /// The job's latest row. A handle only ever follows rows (<see cref="LongRunningJob.Stored"/> holds them as the
    /// Jobs namespace sees them, below Storage), so the cast always holds.
    /// </summary>
    public static JobRecord Row(this LongRunningJob job) => (JobRecord)job.Stored;
}
