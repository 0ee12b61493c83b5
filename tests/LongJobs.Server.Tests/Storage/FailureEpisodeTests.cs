using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace LongJobs.Server.Tests.Storage;

/// <summary>
/// <see cref="FailureEpisode"/>: the background activities fail and work on several threads at once (claims of the loop
/// and of starting jobs, every job's outcome and progress), so an episode and its end are each reported once however
/// their failures and successes interleave (it replaced issue 12's ClaimHealth).
/// </summary>
public sealed class FailureEpisodeTests
{
    private const int Iterations = 1_000_000;

    [Fact]
    public void ActivitiesFailingAndWorkingOnTwoThreadsAtOnce_ReportEachEpisodeOnce_AndEachRecoveryOnce()
    {
        var episode = new FailureEpisode("Testing", NullLogger.Instance, new ObservedFakeTimeProvider());
        var failure = new InvalidOperationException("failed");
        using var start = new Barrier(2);
        long episodes = 0, recoveries = 0;
        void Run()
        {
            start.SignalAndWait();
            for (var i = 0; i < Iterations; i++)
            {
                if (episode.Failed(failure))
                {
                    Interlocked.Increment(ref episodes);
                }

                if (episode.Worked())
                {
                    Interlocked.Increment(ref recoveries);
                }
            }
        }

        var threads = new[] { new Thread(Run), new Thread(Run) };
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        // Every report is one change of state: as many recoveries as episodes, one fewer if the activity still fails.
        Assert.Equal(episodes, recoveries + (episode.IsFailing ? 1 : 0));
    }

    [Fact]
    public void AnEpisode_IsAWarningWithoutStackWhenTheStoreIsOutOfReach_ThenDebugLines_ThenOneLineWithItsDuration()
    {
        var time = new ObservedFakeTimeProvider();
        var logs = new RecordedLogs();
        var episode = new FailureEpisode("Testing", logs, time);

        Assert.False(episode.Worked());
        Assert.True(episode.Failed(new JobStoreUnavailableException(new TimeoutException("The database is down."))));
        time.Advance(TimeSpan.FromSeconds(90));
        Assert.False(episode.Failed(new JobStoreUnavailableException(new TimeoutException("Still down."))));
        Assert.True(episode.Worked());
        Assert.False(episode.Worked());

        Assert.Collection(
            logs.Entries,
            first => Assert.Equal((43, Microsoft.Extensions.Logging.LogLevel.Information, null, true), (first.EventId, first.Level, first.Exception, first.Message.Contains("The database is down.", StringComparison.Ordinal))),
            again => Assert.Equal((46, Microsoft.Extensions.Logging.LogLevel.Debug), (again.EventId, again.Level)),
            recovered => Assert.Equal((45, true), (recovered.EventId, recovered.Message.Contains("after 2 failures in 00:01:30", StringComparison.Ordinal))));
    }
}
