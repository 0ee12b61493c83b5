using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution;

/// <summary>The context of a job running in this process: progress goes to the store and to the job's handle.</summary>
internal sealed class ExecutionJobContext(LongRunningJob job, IJobStore store) : JobContext(job.Id, job.Kind)
{
    protected override async ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
        var updated = await store.TryReportProgressAsync(JobId, fraction, message, cancellationToken).ConfigureAwait(false);
        if (updated is not null)
        {
            job.Update(updated);
        }
    }
}
