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
    private static TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Done => _done.Task;

    public static void Expect(int jobs)
    {
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _remaining, jobs);
    }

    /// <summary>The no-op job body that Hangfire runs.</summary>
    public static void NoOp(int value)
    {
        _ = value;
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}
