using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// What becomes of the jobs running here when the host stops: a job of a registered kind that the shutdown interrupted
/// goes back to the queue for the next server while it has attempts left (on a shared store); a job whose work ignores
/// the shutdown past <see cref="LongJobsOptions.ShutdownTimeout"/> is abandoned.
/// </summary>
internal sealed class ShutdownHandOver(SlotPool pool, StoreTopology topology, JobStateWriter writer, JobCompleter completer, TimeProvider time, ILogger logger)
{
    /// <summary>Puts a job of a registered kind with attempts left back in the queue, for the next server.</summary>
    /// <returns>The queued state, or <see langword="null"/> when the job ends here instead.</returns>
    public async Task<JobRecord?> TryHandOverAsync(JobWorkItem item)
    {
        if (item.Kind is null || item.Attempt >= item.Job.Row().MaxAttempts)
        {
            return null;
        }

        try
        {
            var queued = await topology.TryRequeueAsync(item.Id, item.Attempt, $"Waiting for a server: the one running attempt {item.Attempt} stopped.", time.GetUtcNow()).ConfigureAwait(false);
            if (queued is null || queued.Status != JobStatus.Queued)
            {
                return null;
            }

            Log.JobRequeued(logger, item.Id, item.Job.Kind, item.Attempt);
            item.Job.Update(queued);
            return queued;
        }
        catch (JobStoreUnavailableException exception)
        {
            // The job's lease runs out and another server recovers it.
            Log.StoreFailed(logger, exception, item.Id);
            return item.Job.Row();
        }
    }

    /// <summary>
    /// Ends the jobs still running past the shutdown timeout and frees their slots: registered jobs with attempts left
    /// go back to the queue (on a shared store), the others are recorded as cancelled. Their work is left behind, and
    /// whatever it returns later is discarded by the store's guarded transitions.
    /// </summary>
    public async Task AbandonRunningJobsAsync()
    {
        foreach (var item in pool.RunningItems())
        {
            Log.JobAbandoned(logger, item.Id, item.Job.Kind);
            var final = await TryHandOverAsync(item).ConfigureAwait(false);
            if (final is null)
            {
                var outcome = new JobOutcome(JobStatus.Canceled, time.GetUtcNow(), Error: JobErrors.AbandonedAtShutdown);

                // An ad-hoc job dispatched a moment ago may not have recorded its start yet, or may be recording it now.
                final = await writer.RecordOutcomeAsync(item.Job.Row(), JobStatus.Running, item.Attempt, outcome).ConfigureAwait(false);
                if (final.Status == JobStatus.Queued)
                {
                    final = await writer.RecordOutcomeAsync(item.Job.Row(), JobStatus.Queued, final.Attempt, outcome).ConfigureAwait(false);
                }

                if (!final.Status.IsFinished() && final.Attempt > 0)
                {
                    final = await writer.RecordOutcomeAsync(item.Job.Row(), JobStatus.Running, final.Attempt, outcome).ConfigureAwait(false);
                }
            }

            completer.Abandon(item, final);
        }

        pool.SetDrained();
    }
}
