using LongJobs.Server.Execution.Topology;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Server.Tests.Execution;

/// <summary>The queue length a scheduler on a shared store checks <see cref="LongJobsOptions.MaxQueuedJobs"/> against.</summary>
public sealed class QueuedJobCountTests
{
    private const int Limit = 100;

    [Fact]
    public void TryGet_BeforeAnyCount_AsksForOne()
    {
        var count = new QueuedJobCount(new FakeTimeProvider());

        Assert.False(count.TryGet(Limit, out _));
    }

    [Fact]
    public void TryGet_WithinMaxAgeOfACount_GivesItWithThisServersChangesSince()
    {
        var time = new FakeTimeProvider();
        var count = new QueuedJobCount(time);
        count.Set(5);

        count.Add(3);
        count.Add(-1);
        time.Advance(QueuedJobCount.MaxAge - TimeSpan.FromMilliseconds(1));

        Assert.True(count.TryGet(Limit, out var queued));
        Assert.Equal(7, queued);
    }

    [Fact]
    public void TryGet_OnceACountOfAQueueMoreThanHalfFullIsMaxAgeOld_AsksForANewOne()
    {
        var time = new FakeTimeProvider();
        var count = new QueuedJobCount(time);
        count.Set(Limit / 2 + 1);

        time.Advance(QueuedJobCount.MaxAge);

        Assert.False(count.TryGet(Limit, out _));
    }

    [Fact]
    public void TryGet_ACountOfAQueueAtMostHalfFull_IsUsedUntilMaxAgeWithRoom()
    {
        var time = new FakeTimeProvider();
        var count = new QueuedJobCount(time);
        count.Set(Limit / 2);

        time.Advance(QueuedJobCount.MaxAgeWithRoom - TimeSpan.FromMilliseconds(1));
        Assert.True(count.TryGet(Limit, out _));

        // This server's own starts fill the queue past half: the count is too old for a queue that full.
        count.Add(1);
        Assert.False(count.TryGet(Limit, out _));

        count.Set(1);
        time.Advance(QueuedJobCount.MaxAgeWithRoom);
        Assert.False(count.TryGet(Limit, out _));
    }

    [Fact]
    public void Add_MoreTakenThanCounted_StopsAtZero()
    {
        var count = new QueuedJobCount(new FakeTimeProvider());
        count.Set(1);

        count.Add(-3);

        Assert.True(count.TryGet(Limit, out var queued));
        Assert.Equal(0, queued);
    }
}
