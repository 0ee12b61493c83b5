using LongJobs.Server.Execution.Logging;
using LongJobs.Server.Execution.Slots;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// Runs one attempt of a job: with its own <see cref="ExecutionJobContext"/> (which ends with it), and under its kind's
/// timeout. An attempt that a timeout may end gets a token of its own, linked to the job's (which a cancel request, the
/// shutdown or the job's loss signals); past the timeout that token is signalled and the attempt fails, leaving behind
/// work that ignores the signal. Polly's timeout strategy would instead wait for such work to stop, holding the slot
/// that the kind's timeout exists to free; hence this one.
/// </summary>
internal sealed class AttemptRunner(ProgressWriter progress, JobLogWriter logs)
{
    /// <summary>Runs the current attempt of <paramref name="item"/>.</summary>
    /// <param name="item">The job; its work is bound.</param>
    /// <param name="jobToken">The job's token.</param>
    /// <returns>What the work returned.</returns>
    /// <exception cref="JobTimeoutException">The attempt ran past its kind's timeout.</exception>
    public async ValueTask<object?> RunAsync(JobWorkItem item, CancellationToken jobToken)
    {
        // The attempt's progress ends with it: a report written later would race the outcome, or the next attempt.
        using var context = new ExecutionJobContext(item, item.Attempt, progress, logs);
        if (item.Kind?.Timeout is not { } timeout)
        {
            return await item.RunWorkAsync(context, jobToken).ConfigureAwait(false);
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(jobToken);
        var work = item.RunWorkAsync(context, attempt.Token).AsTask();
        try
        {
            // Cancellation reaches the work through its token, as without a timeout: only the timeout stops waiting for it.
            return await work.WaitAsync(timeout, progress.Time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!work.IsCompleted)
        {
            await attempt.CancelAsync().ConfigureAwait(false);
            _ = work.ContinueWith(static done => done.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

            // Asked to stop before and ignored it: the job ends cancelled, as asked; otherwise it failed by running too long.
            jobToken.ThrowIfCancellationRequested();
            throw new JobTimeoutException(timeout);
        }
    }
}
