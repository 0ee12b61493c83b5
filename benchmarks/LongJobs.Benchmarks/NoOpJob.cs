using LongJobs.Server.Jobs;

namespace LongJobs.Benchmarks;

/// <summary>A registered kind whose work is nothing, so a run measures the framework itself.</summary>
public sealed class NoOpJob : IJobHandler<NoOpRequest, NoOpResult>
{
    public Task<NoOpResult> ExecuteAsync(NoOpRequest request, JobContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new NoOpResult(request.Value));
}

public sealed record NoOpRequest(int Value);

public sealed record NoOpResult(int Value);

/// <summary>Counts finished no-op jobs for peers that offer no task to await (Hangfire): set, then await <see cref="Done"/>.</summary>
public static class CompletionCounter
{
    private static int _remaining;
    private static long _lastCompletion;
    private static TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Done => _done.Task;

    /// <summary>The jobs expected that have not run yet.</summary>
    public static int Remaining => Volatile.Read(ref _remaining);

    /// <summary>When the last job ran (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public static long LastCompletion => Interlocked.Read(ref _lastCompletion);

    /// <summary>
    /// Waits until every job expected has run, or until none has run for <paramref name="stall"/> (a peer that fetched a
    /// job and never runs it), at most <paramref name="timeout"/>; returns how many did not run.
    /// </summary>
    public static async Task<int> WaitAsync(TimeSpan stall, TimeSpan timeout)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Done.IsCompleted && waited.Elapsed < timeout
            && (LastCompletion == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(LastCompletion) < stall))
        {
            await Task.WhenAny(Done, Task.Delay(TimeSpan.FromMilliseconds(100)));
        }

        return Remaining;
    }

    public static void Expect(int jobs)
    {
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _remaining, jobs);
        Interlocked.Exchange(ref _lastCompletion, 0);
    }

    /// <summary>The no-op job body that Hangfire runs.</summary>
    public static void NoOp(int value)
    {
        _ = value;
        Interlocked.Exchange(ref _lastCompletion, System.Diagnostics.Stopwatch.GetTimestamp());
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}
