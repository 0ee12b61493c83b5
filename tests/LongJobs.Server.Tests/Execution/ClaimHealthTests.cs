using LongJobs.Server.Execution.Claiming;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// <see cref="ClaimHealth"/>: claims run at once on several threads (the claim loop's, and those of jobs being
/// started), so an outage and its end are each reported once however their failures and successes interleave.
/// </summary>
public sealed class ClaimHealthTests
{
    private const int Iterations = 2_000_000;

    [Fact]
    public void ClaimsFailingAndWorkingOnTwoThreadsAtOnce_ReportEachOutageOnce_AndEachRecoveryOnce()
    {
        var health = new ClaimHealth();
        using var start = new Barrier(2);
        long outages = 0, recoveries = 0;
        void Claim()
        {
            start.SignalAndWait();
            for (var i = 0; i < Iterations; i++)
            {
                if (health.TryMarkFailing())
                {
                    Interlocked.Increment(ref outages);
                }

                if (health.TryMarkWorking())
                {
                    Interlocked.Increment(ref recoveries);
                }
            }
        }

        var threads = new[] { new Thread(Claim), new Thread(Claim) };
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        // Every report is one change of state: as many recoveries as outages, one fewer if claims still fail.
        Assert.Equal(outages, recoveries + (health.IsFailing ? 1 : 0));
    }

    [Fact]
    public void AnOutage_IsReportedByItsFirstFailure_AndItsEndByTheFirstClaimThatWorks()
    {
        var health = new ClaimHealth();

        Assert.False(health.TryMarkWorking());
        Assert.True(health.TryMarkFailing());
        Assert.False(health.TryMarkFailing());
        Assert.True(health.IsFailing);
        Assert.True(health.TryMarkWorking());
        Assert.False(health.TryMarkWorking());
        Assert.False(health.IsFailing);
    }
}
