using System.Threading.Channels;
using LongJobs.Server.Retention;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Retention;

/// <summary>The sweeper survives whatever a sweep throws, and logs it once per episode (issue 13).</summary>
public sealed class RetentionSupervisionTests
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task SweepsThatThrow_EvenACancellationNobodyAskedFor_AreLoggedOnce_AndTheNextTickSweepsAgain()
    {
        var time = new ObservedFakeTimeProvider();
        var logs = new RecordedLogs();
        var store = new ScriptedRetention(
            new TaskCanceledException("The command timed out."),
            new InvalidOperationException("password authentication failed"),
            null);
        var factory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var sweeper = new RetentionSweeper(store, time, Options.Create(new LongJobsOptions { RetentionSweepInterval = SweepInterval }), factory.CreateLogger<RetentionSweeper>());
        await sweeper.StartAsync(CancellationToken.None);
        try
        {
            for (var tick = 1; tick <= 3; tick++)
            {
                await time.WaitForTimerAsync(SweepInterval);
                time.Advance(SweepInterval);
                Assert.Equal(tick, await store.Sweeps.ReadAsync().AsTask().WithSafetyTimeout());
            }

            var recovered = await logs.WaitForAsync(45);
            Assert.Contains("Removing expired jobs works again, after 2 failures", recovered.Message, StringComparison.Ordinal);
            var first = Assert.Single(logs.Entries, entry => entry.EventId == 44);
            Assert.IsType<TaskCanceledException>(first.Exception);
            Assert.Single(logs.Entries, entry => entry.EventId == 46);
        }
        finally
        {
            await sweeper.StopAsync(CancellationToken.None);
            factory.Dispose();
        }
    }

    /// <summary>A retention store whose sweeps throw the given failures in turn (<see langword="null"/>: it works), and tell each sweep's number.</summary>
    private sealed class ScriptedRetention(params Exception?[] failures) : IJobRetention
    {
        private readonly Channel<int> _sweeps = Channel.CreateUnbounded<int>();
        private int _count;

        public ChannelReader<int> Sweeps => _sweeps.Reader;

        public ValueTask<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int keepAtMost, CancellationToken cancellationToken = default)
        {
            var count = Interlocked.Increment(ref _count);
            _sweeps.Writer.TryWrite(count);
            return count <= failures.Length && failures[count - 1] is { } failure ? ValueTask.FromException<int>(failure) : ValueTask.FromResult(0);
        }
    }
}
