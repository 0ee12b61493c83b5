using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Client.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports the due time of every delay scheduled on it, so a test can see
/// the delay a retry or poll waits for and then <see cref="FakeTimeProvider.Advance"/> past it. Timers of the
/// per-attempt timeout (due after <see cref="LongJobsClientOptions.AttemptTimeout"/>'s default) are not reported.
/// </summary>
internal sealed class DelayRecordingTimeProvider : FakeTimeProvider
{
    private static readonly TimeSpan AttemptTimeout = new LongJobsClientOptions().AttemptTimeout;

    private readonly Channel<TimeSpan> _delays = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Registered before it is reported, so advancing the clock after the report always fires it.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime != AttemptTimeout)
        {
            _delays.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>The due time of the next delay scheduled (or the oldest one not read yet).</summary>
    public async Task<TimeSpan> NextDelayAsync() =>
        await _delays.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Signal);

    /// <summary>Whether a delay was scheduled that has not been read with <see cref="NextDelayAsync"/>.</summary>
    public bool HasUnreadDelay => _delays.Reader.TryPeek(out _);

    /// <summary>Waits for the next delay to be scheduled, advances the clock past it and returns it.</summary>
    public async Task<TimeSpan> AdvancePastNextDelayAsync()
    {
        var delay = await NextDelayAsync();
        Advance(delay);
        return delay;
    }

    /// <summary>Advances the clock past the next <paramref name="count"/> delays, one at a time; returns them in order.</summary>
    public async Task<IReadOnlyList<TimeSpan>> AdvancePastDelaysAsync(int count)
    {
        var delays = new List<TimeSpan>(count);
        for (var i = 0; i < count; i++)
        {
            delays.Add(await AdvancePastNextDelayAsync());
        }

        return delays;
    }

    /// <summary>Advances the clock past every delay scheduled until <paramref name="task"/> completes; returns those delays.</summary>
    public async Task<IReadOnlyList<TimeSpan>> AdvancePastDelaysUntilAsync(Task task)
    {
        var delays = new List<TimeSpan>();
        using var done = new CancellationTokenSource();
        while (true)
        {
            var scheduled = _delays.Reader.WaitToReadAsync(done.Token).AsTask();
            if (await Task.WhenAny(task, scheduled).WaitAsync(TestTimeouts.Signal) == task)
            {
                await done.CancelAsync();
                return delays;
            }

            while (_delays.Reader.TryRead(out var delay))
            {
                delays.Add(delay);
                Advance(delay);
            }
        }
    }
}
