using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.PostgreSql.Tests.Batching;

/// <summary>How concurrent writes are coalesced: alone when quiet, together while a flush runs, one item per job a flush.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task AWriteWhileNoFlushRuns_IsFlushedAtOnceAlone()
    {
        var flushes = new List<int[]>();
        var commit = new GroupCommit<(Guid Id, int Value), int>(
            batch =>
            {
                flushes.Add([.. batch.Select(item => item.Value)]);
                return Task.FromResult<IReadOnlyList<int>>([.. batch.Select(item => item.Value * 10)]);
            },
            item => item.Id,
            maxBatch: 100,
            itemSpecific: _ => false);

        Assert.Equal(10, await commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None));
        Assert.Equal([[1]], flushes);
    }

    [Fact]
    public async Task WritesWhileAFlushRuns_GoTogetherInTheNext_UpToTheBatchSize_OneItemPerKey()
    {
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushes = new List<int[]>();
        var commit = new GroupCommit<(Guid Id, int Value), int>(
            async batch =>
            {
                lock (flushes)
                {
                    flushes.Add([.. batch.Select(item => item.Value)]);
                }

                if (flushes.Count == 1)
                {
                    await firstFlush.Task;
                }

                return [.. batch.Select(item => item.Value * 10)];
            },
            item => item.Id,
            maxBatch: 3,
            itemSpecific: _ => false);
        var sameJob = Guid.NewGuid();

        var first = commit.WriteAsync((Guid.NewGuid(), 0), CancellationToken.None);
        var later = new[] { (sameJob, 1), (sameJob, 2), (Guid.NewGuid(), 3), (Guid.NewGuid(), 4), (Guid.NewGuid(), 5) }
            .Select(item => commit.WriteAsync(item, CancellationToken.None)).ToList();
        firstFlush.SetResult();

        var answers = await Task.WhenAll([first, .. later]).WithSafetyTimeout();
        Assert.Equal([0, 10, 20, 30, 40, 50], answers);
        Assert.Equal([[0], [1, 3, 4], [2, 5]], flushes);
    }

    [Fact]
    public async Task AFailedFlush_FailsEachOfItsItems_AndTheNextFlushGoesOn()
    {
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var commit = new GroupCommit<(Guid Id, int Value), int>(
            async batch =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await firstFlush.Task;
                    throw new InvalidOperationException("The database said no.");
                }

                return [.. batch.Select(item => item.Value)];
            },
            item => item.Id,
            maxBatch: 10,
            itemSpecific: _ => false);

        var failed = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var next = commit.WriteAsync((Guid.NewGuid(), 2), CancellationToken.None);
        firstFlush.SetResult();

        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WithSafetyTimeout());
        Assert.Equal(2, await next.WithSafetyTimeout());
    }

    [Fact]
    public async Task AWriteCancelledBeforeAnyFlushTookIt_IsNeverWritten()
    {
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var written = new List<int>();
        var commit = new GroupCommit<(Guid Id, int Value), int>(
            async batch =>
            {
                lock (written)
                {
                    written.AddRange(batch.Select(item => item.Value));
                }

                await firstFlush.Task;
                return [.. batch.Select(item => item.Value)];
            },
            item => item.Id,
            maxBatch: 10,
            itemSpecific: _ => false);
        using var cancel = new CancellationTokenSource();

        var first = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var withdrawn = commit.WriteAsync((Guid.NewGuid(), 2), cancel.Token);
        await cancel.CancelAsync();
        var kept = commit.WriteAsync((Guid.NewGuid(), 3), CancellationToken.None);
        firstFlush.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn.WithSafetyTimeout());
        var answers = await Task.WhenAll(first, kept).WithSafetyTimeout();
        Assert.Equal([1, 3], answers);
        Assert.Equal([1, 3], written);
    }

    [Fact]
    public async Task AFlushFailedByOneOfItsItems_WritesEachAlone_AndFailsOnlyThatOne()
    {
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushes = new List<int[]>();
        var commit = new GroupCommit<(Guid Id, int Value), int>(
            async batch =>
            {
                lock (flushes)
                {
                    flushes.Add([.. batch.Select(item => item.Value)]);
                }

                if (flushes.Count == 1)
                {
                    await firstFlush.Task;
                }

                return batch.Any(item => item.Value < 0) ? throw new ArgumentException("A value the database rejects.") : [.. batch.Select(item => item.Value)];
            },
            item => item.Id,
            maxBatch: 10,
            itemSpecific: exception => exception is ArgumentException);

        var first = commit.WriteAsync((Guid.NewGuid(), 0), CancellationToken.None);
        var good = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var bad = commit.WriteAsync((Guid.NewGuid(), -1), CancellationToken.None);
        var alsoGood = commit.WriteAsync((Guid.NewGuid(), 2), CancellationToken.None);
        firstFlush.SetResult();

        await Assert.ThrowsAsync<ArgumentException>(() => bad.WithSafetyTimeout());
        var answers = await Task.WhenAll(first, good, alsoGood).WithSafetyTimeout();
        Assert.Equal([0, 1, 2], answers);
        Assert.Equal([[0], [1, -1, 2], [1], [-1], [2]], flushes);
    }
}
