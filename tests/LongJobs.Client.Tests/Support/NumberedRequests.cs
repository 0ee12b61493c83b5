namespace LongJobs.Client.Tests.Support;

/// <summary>
/// Numbers the requests a test server receives (from 1) and lets the test await the arrival of request number n.
/// Shared by the test servers of the client and server tests (the server tests link this file).
/// </summary>
internal sealed class NumberedRequests
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _count;

    /// <summary>How many requests have arrived so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts a request that arrived, after <paramref name="record"/> recorded it, and wakes those awaiting it.</summary>
    /// <returns>The request's number, from 1.</returns>
    public int Arrived(Action record)
    {
        int number;
        List<TaskCompletionSource> reached;
        lock (_gate)
        {
            record();
            number = ++_count;
            reached = [.. _waiters.Where(waiter => waiter.Count <= number).Select(waiter => waiter.Signal)];
            _waiters.RemoveAll(waiter => waiter.Count <= number);
        }

        foreach (var signal in reached)
        {
            signal.TrySetResult();
        }

        return number;
    }

    /// <summary>Completes once request number <paramref name="count"/> has arrived.</summary>
    public Task WhenArrived(int count)
    {
        lock (_gate)
        {
            if (_count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task;
        }
    }
}
