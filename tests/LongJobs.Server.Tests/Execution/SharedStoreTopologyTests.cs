using LongJobs.Server.Execution.Topology;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Server.Tests.Execution;

/// <summary>How a server on a shared store reads the queue's length for <see cref="LongJobsOptions.MaxQueuedJobs"/>.</summary>
public sealed class SharedStoreTopologyTests
{
    private const int Limit = 100;

    [Fact]
    public async Task CountQueuedAsync_ConcurrentStartsWithAnOldCount_ShareOneQuery()
    {
        var queue = new HeldCountQueue();
        var topology = new SharedStoreTopology(queue, new FakeTimeProvider(), TimeSpan.FromSeconds(1));

        var counts = Enumerable.Range(0, 8).Select(_ => topology.CountQueuedAsync(Limit, CancellationToken.None).AsTask()).ToList();
        queue.Answer.SetResult(7);

        Assert.All(await Task.WhenAll(counts), count => Assert.Equal(7, count));
        Assert.Equal(1, queue.Calls);
    }

    [Fact]
    public async Task CountQueuedAsync_ACallerThatCancels_StopsWaitingWithoutEndingTheOthersCount()
    {
        var queue = new HeldCountQueue();
        var topology = new SharedStoreTopology(queue, new FakeTimeProvider(), TimeSpan.FromSeconds(1));
        using var cancelled = new CancellationTokenSource();

        var leaving = topology.CountQueuedAsync(Limit, cancelled.Token).AsTask();
        var staying = topology.CountQueuedAsync(Limit, CancellationToken.None).AsTask();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        queue.Answer.SetResult(3);

        Assert.Equal(3, await staying);
        Assert.Equal(1, queue.Calls);
    }

    [Fact]
    public async Task CountQueuedAsync_AfterAFailedCount_AsksAgain()
    {
        var queue = new HeldCountQueue();
        var topology = new SharedStoreTopology(queue, new FakeTimeProvider(), TimeSpan.FromSeconds(1));
        var failing = topology.CountQueuedAsync(Limit, CancellationToken.None).AsTask();
        queue.Answer.SetException(new TimeoutException("the store did not answer"));
        await Assert.ThrowsAsync<TimeoutException>(() => failing);

        queue.Answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = topology.CountQueuedAsync(Limit, CancellationToken.None).AsTask();
        queue.Answer.SetResult(4);

        Assert.Equal(4, await next);
        Assert.Equal(2, queue.Calls);
    }

    /// <summary>A queue whose count answers when the test says; only counting is used here.</summary>
    private sealed class HeldCountQueue : IQueuedJobs
    {
        private int _calls;

        public TaskCompletionSource<int> Answer { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<int> CountQueuedAsync(int countAtMost, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return new ValueTask<int>(Answer.Task);
        }

        public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, IReadOnlyDictionary<string, int>? runningLimits = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task WaitForQueuedJobsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<JobRecord?> TryRequeueAsync(Guid id, int attempt, string message, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
