using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution;

/// <summary>
/// The context of a job running in this process: progress goes to the store and to the job's handle, and a
/// cancellation request found in the store (made through any server sharing it) signals the job's token.
/// Progress is best effort: reports closer together than <see cref="LongJobsOptions.ProgressWriteInterval"/> are
/// dropped, and while the store is unreachable the job goes on and the report is dropped too. When the store no
/// longer has the job running in this context's attempt (another server took it over), the job's token is signalled.
/// </summary>
internal sealed class ExecutionJobContext(JobWorkItem item, int attempt, IJobStore store, TimeProvider time, TimeSpan writeInterval, ILogger logger)
    : JobContext(item.Id, item.Job.Kind, attempt)
{
    private long? _lastWrite;

    protected override async ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (_lastWrite is { } last && fraction < 1 && time.GetElapsedTime(last, now) < writeInterval)
        {
            return;
        }

        _lastWrite = now;
        JobRecord? updated;
        try
        {
            updated = await store.TryReportProgressAsync(JobId, Attempt, fraction, message, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException exception)
        {
            Log.ProgressNotRecorded(logger, exception, JobId);
            return;
        }

        if (updated is null)
        {
            Log.JobLost(logger, JobId, Kind, Attempt);
            await item.CancelAsync().ConfigureAwait(false);
            return;
        }

        item.Job.Update(updated);
        if (updated.CancellationRequested)
        {
            await item.CancelAsync().ConfigureAwait(false);
        }
    }
}
