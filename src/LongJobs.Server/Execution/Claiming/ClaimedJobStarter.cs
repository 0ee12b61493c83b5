using LongJobs.Server.Execution.Following;
using LongJobs.Server.Execution.Running;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Claiming;

/// <summary>
/// Runs the jobs this server took from the store, claimed or inserted running, in the slots reserved for them: each takes
/// over its handle from following it, or gets a new one. A job that cannot start here fails in the store rather than
/// stay running there, and its slot goes back; a failure that reaches no job is logged in the claims' episode (<c>failures</c>).
/// </summary>
internal sealed class ClaimedJobStarter(
    JobKindRegistry kinds,
    SlotPool pool,
    FollowedJobs followed,
    JobRunner runner,
    JobStateWriter writer,
    TimeProvider time,
    bool includeExceptionDetails,
    ILogger logger,
    FailureEpisode failures)
{
    /// <summary>
    /// Starts a job this server claimed (or inserted running) in one of the slots reserved for it; never throws. An earlier
    /// attempt of the job that this server still holds (the job went back to the queue behind its back, as when a store
    /// outage outlasted its lease) is cancelled and superseded: the new attempt takes its handle and runs. A job that
    /// cannot start fails, and its slot goes back.
    /// </summary>
    public async Task StartAsync(JobRecord job)
    {
        LongRunningJob? handle = null;
        var holdsSlot = false;
        try
        {
            // The handle of a job started here, which the claim takes over from following it.
            handle = followed.Take(job.Id)?.Handle;
            var kind = kinds.TryGet(job.Kind, out var found) ? found : throw new InvalidOperationException($"Claimed job '{job.Id}' has kind '{job.Kind}', which is not registered here.");
            if (!pool.TryAddClaimed(job.Id, job.Attempt, held => new ClaimedWorkItem(handle ?? held ?? kind.CreateJob(job), kind) { Attempt = job.Attempt }, out var item, out var superseded))
            {
                throw new InvalidOperationException($"Claimed job '{job.Id}' in attempt {job.Attempt}, which this server already holds in that attempt or a later one.");
            }

            // The run updates the handle with the claimed state.
            holdsSlot = true;
            runner.Dispatch(item, job);
            if (superseded is not null)
            {
                superseded.Cancel();
                Log.AttemptSuperseded(logger, job.Id, job.Kind, job.Attempt, superseded.Attempt);
            }
        }
        catch (Exception exception) when (!holdsSlot)
        {
            pool.Return(1, job.Kind);
            await FailUnstartedAsync(job, handle, exception).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Logging failed after the job started: its run goes on, and ends it.
            failures.Failed(exception);
        }
    }

    /// <summary>Fails a claimed job that could not be started here, rather than leave it running in the store, and completes its handle; never throws.</summary>
    private async Task FailUnstartedAsync(JobRecord job, LongRunningJob? handle, Exception exception)
    {
        try
        {
            Log.JobFailed(logger, exception, job.Id, job.Kind);
            var outcome = new JobOutcome(JobStatus.Failed, time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, includeExceptionDetails));
            var final = await writer.RecordOutcomeAsync(job, JobStatus.Running, job.Attempt, outcome).ConfigureAwait(false);
            handle?.Complete(final, result: null, exception);
        }
        catch (Exception failure)
        {
            failures.Failed(failure);
        }
    }
}
