using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.PostgreSql.Tests.Batching;

/// <summary>How concurrent writes are coalesced: alone when quiet, together while a flush runs, one item per job a flush.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task AWriteWhileNoFlushRuns_IsFlushedAtOnceAlone()
    {
        var database = new Database((values, _) => [.. values.Select(value => value * 10)], holdFirstFlush: false);
        var commit = database.Commit(maxBatch: 100);

        Assert.Equal(10, await commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None));
        Assert.Equal([[1]], database.Flushes);
    }

    [Fact]
    public async Task WritesWhileAFlushRuns_GoTogetherInTheNext_UpToTheBatchSize_OneItemPerKey()
    {
        var database = new Database((values, _) => [.. values.Select(value => value * 10)]);
        var commit = database.Commit(maxBatch: 3);
        var sameJob = Guid.NewGuid();

        var first = commit.WriteAsync((Guid.NewGuid(), 0), CancellationToken.None);
        var later = new[] { (sameJob, 1), (sameJob, 2), (Guid.NewGuid(), 3), (Guid.NewGuid(), 4), (Guid.NewGuid(), 5) }
            .Select(item => commit.WriteAsync(item, CancellationToken.None)).ToList();
        database.ReleaseFirstFlush();

        var answers = await Task.WhenAll([first, .. later]).WithSafetyTimeout();
        Assert.Equal([0, 10, 20, 30, 40, 50], answers);
        Assert.Equal([[0], [1, 3, 4], [2, 5]], database.Flushes);
    }

    [Fact]
    public async Task AFailedFlush_FailsEachOfItsItems_AndTheNextFlushGoesOn()
    {
        var database = new Database((values, flush) => flush == 1 ? throw new InvalidOperationException("The database said no.") : values);
        var commit = database.Commit(maxBatch: 10);

        var failed = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var next = commit.WriteAsync((Guid.NewGuid(), 2), CancellationToken.None);
        database.ReleaseFirstFlush();

        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WithSafetyTimeout());
        Assert.Equal(2, await next.WithSafetyTimeout());
    }

    [Fact]
    public async Task AWriteCancelledBeforeAnyFlushTookIt_IsNeverWritten()
    {
        var database = new Database((values, _) => values);
        var commit = database.Commit(maxBatch: 10);
        using var cancel = new CancellationTokenSource();

        var first = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var withdrawn = commit.WriteAsync((Guid.NewGuid(), 2), cancel.Token);
        await cancel.CancelAsync();
        var kept = commit.WriteAsync((Guid.NewGuid(), 3), CancellationToken.None);
        database.ReleaseFirstFlush();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn.WithSafetyTimeout());
        var answers = await Task.WhenAll(first, kept).WithSafetyTimeout();
        Assert.Equal([1, 3], answers);
        Assert.Equal([[1], [3]], database.Flushes);
    }

    [Fact]
    public async Task AFlushFailedByOneOfItsItems_WritesEachAlone_AndFailsOnlyThatOne()
    {
        var database = new Database((values, _) => values.Any(value => value < 0) ? throw new ArgumentException("A value the database rejects.") : values);
        var commit = database.Commit(maxBatch: 10, itemSpecific: exception => exception is ArgumentException);

        var first = commit.WriteAsync((Guid.NewGuid(), 0), CancellationToken.None);
        var good = commit.WriteAsync((Guid.NewGuid(), 1), CancellationToken.None);
        var bad = commit.WriteAsync((Guid.NewGuid(), -1), CancellationToken.None);
        var alsoGood = commit.WriteAsync((Guid.NewGuid(), 2), CancellationToken.None);
        database.ReleaseFirstFlush();

        await Assert.ThrowsAsync<ArgumentException>(() => bad.WithSafetyTimeout());
        var answers = await Task.WhenAll(first, good, alsoGood).WithSafetyTimeout();
        Assert.Equal([0, 1, 2], answers);
        Assert.Equal([[0], [1, -1, 2], [1], [-1], [2]], database.Flushes);
    }

    /// <summary>
    /// A database that answers each flush of values with <paramref name="answer"/> (given the values and the flush's
    /// number, from 1) and records them; its first flush waits for <see cref="ReleaseFirstFlush"/>, so the writes a test
    /// makes meanwhile come while a flush runs.
    /// </summary>
    private sealed class Database(Func<int[], int, int[]> answer, bool holdFirstFlush = true)
    {
        private readonly TaskCompletionSource _firstFlush = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int[]> _flushes = [];

        public IReadOnlyList<int[]> Flushes
        {
            get
            {
                lock (_flushes)
                {
                    return [.. _flushes];
                }
            }
        }

        public GroupCommit<(Guid Id, int Value), int> Commit(int maxBatch, Func<Exception, bool>? itemSpecific = null) =>
            new(FlushAsync, item => item.Id, maxBatch, itemSpecific ?? (_ => false));

        public void ReleaseFirstFlush() => _firstFlush.SetResult();

        private async Task<IReadOnlyList<int>> FlushAsync(IReadOnlyList<(Guid Id, int Value)> batch)
        {
            int[] values = [.. batch.Select(item => item.Value)];
            int number;
            lock (_flushes)
            {
                _flushes.Add(values);
                number = _flushes.Count;
            }

            if (number == 1 && holdFirstFlush)
            {
                await _firstFlush.Task;
            }

            return answer(values, number);
        }
    }
}
