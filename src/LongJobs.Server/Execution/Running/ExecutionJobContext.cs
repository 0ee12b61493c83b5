using LongJobs.Server.Execution.Slots;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Running;

/// <summary>
/// The context of one attempt of a job running in this process: progress goes to the store and to the job's handle,
/// and a cancellation request found in the store (made through any server sharing it) signals the job's token.
/// Progress is written at most once per <see cref="LongJobsOptions.ProgressWriteInterval"/>: the first report of a
/// burst at once, the latest of the reports that follow at the end of the interval (so whoever waits for the job's
/// next change sees where a burst ended), and a report of 1 at once. While the store is unreachable the job goes on and
/// the report is dropped. When the store no longer has the job running in this context's attempt (another server took
/// it over), the job's token is signalled. Disposed when the attempt ends: later reports, and a write still waiting
/// for the end of its interval, are dropped.
/// </summary>
internal sealed class ExecutionJobContext(JobWorkItem item, int attempt, IJobStore store, TimeProvider time, TimeSpan writeInterval, ILogger logger)
    : JobContext(item.Id, item.Job.Kind, attempt), IDisposable
{
    private readonly Lock _gate = new();

    /// <summary>One write at a time, so a deferred write never lands after a later one.</summary>
    private readonly SemaphoreSlim _writing = new(1, 1);

    private long? _lastWrite;
    private (double Fraction, string? Message)? _deferred;
    private ITimer? _deferredWrite;
    private bool _ended;

    protected override async ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            var now = time.GetTimestamp();
            if (_lastWrite is { } last && fraction < 1 && time.GetElapsedTime(last, now) is var elapsed && elapsed < writeInterval)
            {
                _deferred = (fraction, message);
                _deferredWrite ??= time.CreateTimer(static state => _ = ((ExecutionJobContext)state!).WriteDeferredAsync(), this, writeInterval - elapsed, Timeout.InfiniteTimeSpan);
                return;
            }

            _lastWrite = now;
            _deferred = null;
            _deferredWrite?.Dispose();
            _deferredWrite = null;
        }

        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteAsync(fraction, message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Ends the attempt's reporting: drops later reports and the write waiting for the end of its interval.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _ended = true;
            _deferred = null;
            _deferredWrite?.Dispose();
            _deferredWrite = null;
        }
    }

    /// <summary>At the end of an interval: writes the latest report made during it, unless a later write superseded it.</summary>
    private async Task WriteDeferredAsync()
    {
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            (double Fraction, string? Message) latest;
            lock (_gate)
            {
                _deferredWrite?.Dispose();
                _deferredWrite = null;
                if (_ended || _deferred is not { } deferred)
                {
                    return;
                }

                latest = deferred;
                _deferred = null;
                _lastWrite = time.GetTimestamp();
            }

            await WriteAsync(latest.Fraction, latest.Message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Nobody awaits this write: the job goes on, as when a report is dropped.
            Log.StoreFailed(logger, exception, JobId);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task WriteAsync(double fraction, string? message, CancellationToken cancellationToken)
    {
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

        if (Volatile.Read(ref _ended))
        {
            // The attempt ended while the write was in flight: its outcome, not this report, is the job's state.
            return;
        }

        if (updated is null)
        {
            Log.JobLost(logger, JobId, Kind, Attempt);
            await item.CancelAttemptAsync(Attempt).ConfigureAwait(false);
            return;
        }

        item.Job.Update(updated);
        if (updated.CancellationRequested)
        {
            await item.CancelAttemptAsync(Attempt).ConfigureAwait(false);
        }
    }
}
