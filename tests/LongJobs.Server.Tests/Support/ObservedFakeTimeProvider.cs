using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when code under test has created a timer, so a test advances
/// fake time only once the timer it means to fire exists (advancing earlier would leave that timer unfired).
/// </summary>
public sealed class ObservedFakeTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _created = [];
    private readonly List<(Predicate<TimeSpan> DueTime, int Count, TaskCompletionSource Signal)> _waiters = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            _created.Add(dueTime);
            foreach (var waiter in _waiters.Where(waiter => CountOf(waiter.DueTime) >= waiter.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }

        return timer;
    }

    /// <summary>Completes once <paramref name="count"/> timers due after <paramref name="dueTime"/> have been created, counting from this provider's creation.</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1) => WaitForTimerAsync(due => due == dueTime, count);

    /// <summary>Completes once <paramref name="count"/> timers with a due time that <paramref name="dueTime"/> accepts have been created, such as a jittered backoff.</summary>
    public Task WaitForTimerAsync(Predicate<TimeSpan> dueTime, int count = 1)
    {
        lock (_gate)
        {
            if (CountOf(dueTime) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, signal));
            return signal.Task.WithSafetyTimeout();
        }
    }

    private int CountOf(Predicate<TimeSpan> dueTime) => _created.Count(created => dueTime(created));
}
