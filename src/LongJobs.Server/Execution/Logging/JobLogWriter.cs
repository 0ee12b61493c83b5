using System.Collections.Concurrent;
using System.Globalization;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Logging;

/// <summary>
/// Writes the log lines of the jobs running here to the store (<see cref="IJobHistory.AppendLogAsync"/>): a job's
/// <see cref="JobContext.Log"/> only adds its line to this server's buffer, and every job's pending lines go to the store
/// in one write, <see cref="LongJobsOptions.LogWriteInterval"/> after the first of them, or at once when
/// <see cref="MaxLinesPerWrite"/> wait, or when a job's attempt ends (<see cref="FlushAsync"/>). Writes run one at a time,
/// in order. A write that fails drops its lines, whatever the failure: the jobs go on. The drops are counted, logged
/// once per failure episode and in one line when the store takes lines again, and each job that lost lines gets a
/// line that says how many, at its next write. At most <see cref="MaxPendingLines"/> lines wait; beyond, new lines are
/// dropped the same way.
/// </summary>
internal sealed class JobLogWriter
{
    /// <summary>How many waiting lines start a write without waiting for the interval.</summary>
    internal const int MaxLinesPerWrite = 1_000;

    /// <summary>How many lines may wait for the store; more are dropped.</summary>
    internal const int MaxPendingLines = 10_000;

    /// <summary>How many jobs' drops are remembered, to tell each; beyond, drops are only counted.</summary>
    private const int MaxJobsWithDrops = 10_000;

    private readonly IJobHistory _history;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly int _keepLast;
    private readonly ILogger _logger;
    private readonly FailureEpisode _failures;
    private readonly ConcurrentQueue<JobLogEntry> _pending = new();
    private readonly Lock _gate = new();
    private Dictionary<Guid, (int Count, int Attempt)> _dropped = [];
    private int _pendingCount;
    private long _droppedTotal;
    private long _droppedUntold;
    private ITimer? _timer;
    private Task _writing = Task.CompletedTask;

    public JobLogWriter(IJobHistory history, TimeProvider time, LongJobsOptions options, ILogger logger)
    {
        _history = history;
        _time = time;
        _interval = options.LogWriteInterval;
        _keepLast = options.MaxLogLinesPerJob;
        _logger = logger;
        _failures = new FailureEpisode("Writing the jobs' log lines", logger, time);
    }

    /// <summary>How many lines were dropped since the server started: the store could not take them, or too many waited.</summary>
    public long DroppedLines => Interlocked.Read(ref _droppedTotal);

    /// <summary>Whether the last write failed: a job that ends does not wait for the next one.</summary>
    public bool IsFailing => _failures.IsFailing;

    /// <summary>Sends <paramref name="line"/> of job <paramref name="jobId"/> to the server's log, and adds it to the lines waiting for the store.</summary>
    public void Write(Guid jobId, string kind, JobLogLine line)
    {
        Log.JobLogLine(_logger, line.Level, jobId, kind, line.Attempt, line.Message);
        if (_keepLast == 0)
        {
            return;
        }

        var pending = Interlocked.Increment(ref _pendingCount);
        if (pending > MaxPendingLines)
        {
            Interlocked.Decrement(ref _pendingCount);
            lock (_gate)
            {
                Drop(jobId, 1, line.Attempt);
            }

            return;
        }

        _pending.Enqueue(new JobLogEntry(jobId, line));
        if (pending == MaxLinesPerWrite)
        {
            // Once per crossing: the write takes every line waiting by then, and those that follow start the interval again.
            _ = FlushAsync();
            return;
        }

        lock (_gate)
        {
            _timer ??= _time.CreateTimer(static writer => _ = ((JobLogWriter)writer!).FlushAsync(), this, _interval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Writes every line waiting now, after the writes already started. Never throws.</summary>
    /// <returns>A task that completes once the lines are stored or dropped.</returns>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            return _writing = WriteAfterAsync(_writing);
        }
    }

    private async Task WriteAfterAsync(Task previous)
    {
        await previous.ConfigureAwait(false);
        var lines = new List<JobLogEntry>();
        Dictionary<Guid, (int Count, int Attempt)> dropped;
        long untold;
        lock (_gate)
        {
            (dropped, _dropped) = (_dropped, []);
            untold = Interlocked.Exchange(ref _droppedUntold, 0);
        }

        // Each job that lost lines says so first: they were written before the lines that wait now.
        var now = _time.GetUtcNow();
        foreach (var (jobId, (count, attempt)) in dropped)
        {
            lines.Add(new JobLogEntry(jobId, DropNotice(now, count, attempt)));
        }

        var notices = lines.Count;
        while (_pending.TryDequeue(out var entry))
        {
            lines.Add(entry);
        }

        Interlocked.Add(ref _pendingCount, notices - lines.Count);
        if (lines.Count == 0)
        {
            return;
        }

        try
        {
            await _history.AppendLogAsync(lines, _keepLast).ConfigureAwait(false);
            _failures.Worked();
            if (dropped.Count > 0 || untold > 0)
            {
                Log.JobLogLinesDropped(_logger, dropped.Values.Sum(drop => (long)drop.Count) + untold, dropped.Count, MaxPendingLines);
            }
        }
        catch (Exception exception)
        {
            _failures.Failed(exception);
            lock (_gate)
            {
                foreach (var (jobId, (count, attempt)) in dropped)
                {
                    Drop(jobId, count, attempt, counted: true);
                }

                Interlocked.Add(ref _droppedUntold, untold);
                foreach (var entry in lines.Skip(notices))
                {
                    Drop(entry.JobId, 1, entry.Line.Attempt);
                }
            }
        }
    }

    /// <summary>Counts lines of a job that were dropped; under the gate.</summary>
    private void Drop(Guid jobId, int count, int attempt, bool counted = false)
    {
        if (!counted)
        {
            Interlocked.Add(ref _droppedTotal, count);
        }

        if (_dropped.Count < MaxJobsWithDrops || _dropped.ContainsKey(jobId))
        {
            _dropped[jobId] = (_dropped.GetValueOrDefault(jobId).Count + count, Math.Max(attempt, _dropped.GetValueOrDefault(jobId).Attempt));
        }
        else
        {
            Interlocked.Add(ref _droppedUntold, count);
        }
    }

    /// <summary>The line that tells a job's log how many of its lines were dropped, in the latest attempt that lost some.</summary>
    private static JobLogLine DropNotice(DateTimeOffset now, int count, int attempt) => new(
        now,
        LogLevel.Warning,
        attempt,
        string.Create(CultureInfo.InvariantCulture, $"{count} log lines were dropped: the job store could not take them, or too many lines waited for it."));
}
