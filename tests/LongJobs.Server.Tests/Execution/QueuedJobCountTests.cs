using LongJobs.Server.Execution.Topology;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Server.Tests.Execution;

/// <summary>The queue length a scheduler on a shared store checks <see cref="LongJobsOptions.MaxQueuedJobs"/> against.</summary>
public sealed class QueuedJobCountTests
{
    [Fact]
    public void TryGet_BeforeAnyCount_AsksForOne()
    {
        var count = new QueuedJobCount(new FakeTimeProvider());

        Assert.False(count.TryGet(out _));
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

        Assert.True(count.TryGet(out var queued));
        Assert.Equal(7, queued);
    }

    [Fact]
    public void TryGet_OnceTheCountIsMaxAgeOld_AsksForANewOne()
    {
        var time = new FakeTimeProvider();
        var count = new QueuedJobCount(time);
        count.Set(5);

        time.Advance(QueuedJobCount.MaxAge);

        Assert.False(count.TryGet(out _));
    }

    [Fact]
    public void Add_MoreTakenThanCounted_StopsAtZero()
    {
        var count = new QueuedJobCount(new FakeTimeProvider());
        count.Set(1);

        count.Add(-3);

        Assert.True(count.TryGet(out var queued));
        Assert.Equal(0, queued);
    }
}
