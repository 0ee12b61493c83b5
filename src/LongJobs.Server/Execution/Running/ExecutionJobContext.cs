using LongJobs.Server.Execution.Logging;
using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// The context of one attempt of a job running in this process: progress goes to the store and to the job's handle, log
/// lines to the <see cref="JobLogWriter"/>,
/// and a cancellation request found in the store (made through any server sharing it) signals the job's token.
/// Progress is written at most once per <see cref="LongJobsOptions.ProgressWriteInterval"/>: the first report of a
/// burst at once, the latest of the reports that follow at the end of the interval (so whoever waits for the job's
/// next change sees where a burst ended), and a report of 1 at once. When the store cannot take a report (unreachable,
/// or any other failure) the job goes on and the report is dropped, logged once per episode. When the store no longer has the job running in this context's attempt (another server took
/// it over), the job's token is signalled, as long as this attempt is the one running here (a stale attempt stops
/// nothing). Disposed when the attempt ends: later reports, and a write still waiting for the end of its interval, are
/// dropped.
/// </summary>
internal sealed class ExecutionJobContext(JobWorkItem item, int attempt, ProgressWriter writer, JobLogWriter logs)
    : JobContext(item.Id, item.Job.Kind, attempt), IDisposable
{
    /// <summary>The state of reporting, made at the first report: most jobs never report, and then their context is small.</summary>
    private Reporting? _reporting;

    private int _ended;

    protected override async ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
        var reporting = Volatile.Read(ref _reporting) ?? StartReporting();
        lock (reporting.Gate)
        {
            if (Volatile.Read(ref _ended) != 0)
            {
                return;
            }

            var now = writer.Time.GetTimestamp();
            if (reporting.LastWrite is { } last && fraction < 1 && writer.Time.GetElapsedTime(last, now) is var elapsed && elapsed < writer.WriteInterval)
            {
                reporting.Deferred = (fraction, message);
                reporting.DeferredWrite ??= writer.Time.CreateTimer(static state => _ = ((ExecutionJobContext)state!).WriteDeferredAsync(), this, writer.WriteInterval - elapsed, Timeout.InfiniteTimeSpan);
                return;
            }

            reporting.LastWrite = now;
            reporting.Deferred = null;
            reporting.DeferredWrite?.Dispose();
            reporting.DeferredWrite = null;
        }

        await reporting.Writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteAsync(fraction, message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            reporting.Writing.Release();
        }
    }

    /// <summary>Lines go to the server's buffer, even after the attempt ended (work that outlives it may still log).</summary>
    protected override void OnLog(LogLevel level, string message)
    {
        item.HasLogLines = true;
        logs.Write(JobId, Kind, new JobLogLine(writer.Time.GetUtcNow(), level, Attempt, message));
    }

    /// <summary>Ends the attempt's reporting: drops later reports and the write waiting for the end of its interval.</summary>
    public void Dispose()
    {
        // A full fence: either a report starting now sees the end, or this sees the report's state and clears it.
        Interlocked.Exchange(ref _ended, 1);
        if (Volatile.Read(ref _reporting) is not { } reporting)
        {
            return;
        }

        lock (reporting.Gate)
        {
            reporting.Deferred = null;
            reporting.DeferredWrite?.Dispose();
            reporting.DeferredWrite = null;
        }
    }

    private Reporting StartReporting()
    {
        var reporting = new Reporting();
        return Interlocked.CompareExchange(ref _reporting, reporting, null) ?? reporting;
    }

    /// <summary>At the end of an interval: writes the latest report made during it, unless a later write superseded it.</summary>
    private async Task WriteDeferredAsync()
    {
        var reporting = Volatile.Read(ref _reporting)!;
        await reporting.Writing.WaitAsync().ConfigureAwait(false);
        try
        {
            (double Fraction, string? Message) latest;
            lock (reporting.Gate)
            {
                reporting.DeferredWrite?.Dispose();
                reporting.DeferredWrite = null;
                if (Volatile.Read(ref _ended) != 0 || reporting.Deferred is not { } deferred)
                {
                    return;
                }

                latest = deferred;
                reporting.Deferred = null;
                reporting.LastWrite = writer.Time.GetTimestamp();
            }

            await WriteAsync(latest.Fraction, latest.Message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Nobody awaits this write: the job goes on, as when a report is dropped.
            LongJobs.Server.Log.StoreFailed(writer.Logger, exception, JobId);
        }
        finally
        {
            reporting.Writing.Release();
        }
    }

    private async Task WriteAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
        JobRecord? updated;
        try
        {
            updated = await writer.Attempts.TryReportProgressAsync(JobId, Attempt, fraction, message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // A report the store cannot take is dropped, whatever the failure: the job goes on, and reports again.
            writer.Failures.Failed(exception);
            return;
        }

        writer.Failures.Worked();

        if (Volatile.Read(ref _ended) != 0)
        {
            // The attempt ended while the write was in flight: its outcome, not this report, is the job's state.
            return;
        }

        if (updated is null)
        {
            LongJobs.Server.Log.JobLost(writer.Logger, JobId, Kind, Attempt);
            await item.CancelAttemptAsync(Attempt).ConfigureAwait(false);
            return;
        }

        item.Job.Update(updated);
        if (updated.CancellationRequested)
        {
            await item.CancelAttemptAsync(Attempt).ConfigureAwait(false);
        }
    }

    /// <summary>How an attempt's reports are written: guarded by <see cref="Gate"/>, one write at a time.</summary>
    private sealed class Reporting
    {
        public Lock Gate { get; } = new();

        /// <summary>One write at a time, so a deferred write never lands after a later one.</summary>
        public SemaphoreSlim Writing { get; } = new(1, 1);

        public long? LastWrite { get; set; }

        public (double Fraction, string? Message)? Deferred { get; set; }

        public ITimer? DeferredWrite { get; set; }
    }
}
