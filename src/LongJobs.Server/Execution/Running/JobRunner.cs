using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using LongJobs.Server.Execution.Logging;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Observability;
using LongJobs.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// Runs the jobs that got a slot of this server, each from one thread-pool work item: starts it (ad-hoc jobs; claimed
/// ones are started), reads its stored request (claimed jobs), runs its attempts, records its outcome and ends it. Nobody
/// awaits a run: it records every outcome itself, and what escapes it is logged, never left unobserved.
/// </summary>
internal sealed class JobRunner(
    IJobRecords records,
    StoreTopology topology,
    JobStateWriter writer,
    KindPipelines pipelines,
    JobCompleter completer,
    ShutdownHandOver handOver,
    JobInstrumentation instrumentation,
    JobLogWriter logs,
    IServiceScopeFactory scopes,
    LongJobsOptions options,
    bool includeExceptionDetails,
    TimeProvider time,
    ILogger logger,
    CancellationToken shutdown)
{
    private Action<JobWorkItem, JobRecord?>? _run;

    /// <summary>Runs a job that holds a slot, on the thread pool; <paramref name="started"/> is its running state when it was claimed or started already.</summary>
    public void Dispatch(JobWorkItem item, JobRecord? started) =>
        item.QueueRun(_run ??= (item, started) => _ = RunSupervisedAsync(item, started), started);

    private async Task RunSupervisedAsync(JobWorkItem item, JobRecord? started)
    {
        try
        {
            await RunAsync(item, started).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            try
            {
                Log.RunFailedUnexpectedly(logger, exception, item.Id, item.Job.Kind);
            }
            catch (Exception)
            {
                // The logging itself failed (it may be what threw): nothing is left to tell.
            }
        }
    }

    /// <summary>Runs one job in its slot; the slot is freed and the handle completed whatever happens.</summary>
    private async Task RunAsync(JobWorkItem item, JobRecord? started)
    {
        var job = item.Job;
        object? result = null;
        Exception? failure = null;
        JobRecord? final = null;
        Activity? activity = null;
        try
        {
            var running = started ?? await writer.TryStartAsync(job.Id).ConfigureAwait(false);
            if (running is null)
            {
                // Cancelled, or abandoned at shutdown, between dispatch and start.
                final = await records.GetAsync(job.Id).ConfigureAwait(false);
                return;
            }

            if (started is null)
            {
                topology.NoteQueueChange(-1);
            }

            item.Attempt = running.Attempt;
            job.Update(running);
            Log.JobStarted(logger, job.Id, job.Kind, running.Attempt, running.MaxAttempts);
            activity = instrumentation.RunStarted(running);
            if (running.CancellationRequested)
            {
                // Cancelled through another server sharing the store while it waited in this one's queue.
                await item.CancelAsync().ConfigureAwait(false);
            }

            var token = item.Cancellation.Token;
            JobOutcome? outcome;
            try
            {
                token.ThrowIfCancellationRequested();
                if (item is ClaimedWorkItem { IsBound: false } claimed)
                {
                    claimed.Bind(BindWork(claimed.Kind!, running));
                }

                result = await pipelines.ExecuteAsync(item, token).ConfigureAwait(false);
                outcome = Succeeded(job, item.ResultType, result);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                final = shutdown.IsCancellationRequested ? await handOver.TryHandOverAsync(item).ConfigureAwait(false) : null;
                outcome = final is not null ? null : new JobOutcome(JobStatus.Canceled, time.GetUtcNow(), Error: shutdown.IsCancellationRequested ? JobErrors.StoppedByShutdown : null);
            }
            catch (Exception exception)
            {
                failure = exception;
                Log.JobFailed(logger, exception, job.Id, job.Kind);
                outcome = new JobOutcome(JobStatus.Failed, time.GetUtcNow(), Error: exception switch
                {
                    UnreadableRequestException unreadable => JobErrors.RequestUnreadable(unreadable.InnerException!, includeExceptionDetails),
                    JobTimeoutException timedOut => JobErrors.TimedOut(timedOut.Timeout),
                    _ => JobErrors.FromException(exception, job.Id, includeExceptionDetails),
                });
            }

            if (item.HasLogLines && !logs.IsFailing)
            {
                // Whoever sees the job's end sees its log complete.
                await logs.FlushAsync().ConfigureAwait(false);
            }

            if (outcome is not null)
            {
                // The work has ended: its slot takes the next job while the outcome is written (batched with others'),
                // as long as the outcomes being written stay within the slots' number; and, whatever that number, while
                // the store cannot take the outcome. The job stays held until its outcome is recorded.
                completer.FreeSlotWhileWriting(item);
                var recorded = await writer.RecordAttemptOutcomeAsync(job.Row(), item.Attempt, outcome, () => completer.FreeSlot(item)).ConfigureAwait(false);
                final = recorded.State;
                if (recorded.TakenOver)
                {
                    Log.AttemptTakenOver(logger, item.Attempt, job.Id, job.Kind, outcome.Status);
                }
                else
                {
                    Log.JobFinished(logger, job.Id, job.Kind, final.Status, (final.CompletedAt - final.StartedAt) ?? TimeSpan.Zero);
                }
            }
        }
        catch (Exception exception) when (final is null)
        {
            // Starting it, or reading its state, failed: the store is unreachable and the host stops.
            Log.StoreFailed(logger, exception, job.Id);
            failure ??= exception;
            final = UnrecordedState.Of(job.Row(), new JobOutcome(JobStatus.Failed, time.GetUtcNow(), Error: JobErrors.FromException(exception, job.Id, includeExceptionDetails)));
        }
        finally
        {
            final ??= UnrecordedState.Of(job.Row(), new JobOutcome(JobStatus.Canceled, time.GetUtcNow()));
            try
            {
                JobInstrumentation.RunEnded(activity, final);
            }
            finally
            {
                completer.Complete(item, final, result, failure);
            }
        }
    }

    /// <summary>Binds the work of a claimed job to its stored request; a request that does not read fails the job.</summary>
    private Func<JobContext, CancellationToken, Task<object?>> BindWork(JobKind kind, JobRecord job)
    {
        object request;
        try
        {
            request = job.Request!.Value.Deserialize(kind.RequestType, options.SerializerOptions)
                ?? throw new JsonException("The stored request is null.");
        }
        catch (Exception exception)
        {
            // Whatever the request type throws while it is read (a converter, a constructor or setter that validates)
            // means the same: this request does not bind to the kind's type.
            throw new UnreadableRequestException(exception);
        }

        return kind.CreateWork(request, scopes);
    }

    /// <summary>The outcome of work that returned <paramref name="result"/>: its JSON, or a failure when the JSON is too large to keep.</summary>
    private JobOutcome Succeeded(LongRunningJob job, Type resultType, object? result)
    {
        // Serialized once, straight into the element the store keeps; its size is read from the element's own bytes.
        var json = JsonSerializer.SerializeToElement(result, resultType, options.SerializerOptions);
        var size = JsonMarshal.GetRawUtf8Value(json).Length;
        if (size > options.MaxResultSize)
        {
            Log.ResultTooLarge(logger, job.Id, job.Kind, size);
            return new JobOutcome(JobStatus.Failed, time.GetUtcNow(), Error: JobErrors.ResultTooLarge(size, options.MaxResultSize));
        }

        return new JobOutcome(JobStatus.Succeeded, time.GetUtcNow(), Result: json);
    }

    /// <summary>Thrown in place of the work of a claimed job whose stored request does not deserialize.</summary>
    private sealed class UnreadableRequestException(Exception inner) : Exception(inner.Message, inner);
}
