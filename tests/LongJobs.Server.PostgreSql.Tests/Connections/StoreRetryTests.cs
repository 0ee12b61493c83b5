using System.Threading.Channels;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.Tests.Support;
using Npgsql;
using Polly;

namespace LongJobs.Server.PostgreSql.Tests.Connections;

/// <summary>The store's retry pipeline: which failures run again, how often, and after what delays.</summary>
public sealed class StoreRetryTests
{
    [Fact]
    public async Task ACallThatKeepsFailingFast_RunsAgainUntilItsRetryTimeoutIsSpent_WithBoundedDelays()
    {
        var time = new ObservedFakeTimeProvider();
        var retryTimeout = TimeSpan.FromSeconds(30);
        var started = time.GetTimestamp();
        var attemptsEndedAt = new List<TimeSpan>();
        var delays = new List<TimeSpan>();

        var failure = await Assert.ThrowsAsync<NpgsqlException>(() => RunFiringEachBackoffAsync(time, retryTimeout, delays, () =>
        {
            attemptsEndedAt.Add(time.GetElapsedTime(started));
            throw ConnectionTimeout();
        }));

        Assert.True(failure.IsTransient);
        Assert.True(attemptsEndedAt.Count > StoreRetry.MinRetryAttempts + 1, $"{attemptsEndedAt.Count} attempts in {retryTimeout}.");
        Assert.All(attemptsEndedAt.SkipLast(1), endedAt => Assert.True(endedAt < retryTimeout, $"Ran again after failing at {endedAt}."));
        Assert.True(attemptsEndedAt[^1] >= retryTimeout, $"Gave up at {attemptsEndedAt[^1]}, before the retry timeout.");
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.FromTicks(1), StoreRetry.MaxDelay));
    }

    [Fact]
    public async Task ACallWhoseAttemptsEachOutlastTheRetryTimeout_StillRunsAgainTheMinimumNumberOfTimes()
    {
        // As on a loaded machine: every connection attempt waits out its connect timeout, longer than the retry timeout.
        var time = new ObservedFakeTimeProvider();
        var retryTimeout = TimeSpan.FromSeconds(10);
        var attempts = 0;

        await Assert.ThrowsAsync<NpgsqlException>(() => RunFiringEachBackoffAsync(time, retryTimeout, [], () =>
        {
            attempts++;
            time.Advance(TimeSpan.FromSeconds(15));
            throw ConnectionTimeout();
        }));

        Assert.Equal(StoreRetry.MinRetryAttempts + 1, attempts);
    }

    [Theory]
    [InlineData(false, false, true)] // failed before anything was sent: it surely did not run
    [InlineData(true, true, true)] // sent, and running it twice is running it once
    [InlineData(true, false, false)] // sent, outcome unknown, not repeatable: never run twice
    public void AConnectionFailure_RunsAgain_OnlyWhenThatIsSafe(bool sent, bool repeatable, bool expected)
    {
        var context = Context(sent, repeatable);

        Assert.Equal(expected, StoreRetry.ShouldRetry(ConnectionTimeout(), context));
        ResilienceContextPool.Shared.Return(context);
    }

    [Fact]
    public void AStatementTheServerRejectedWithATransientError_RunsAgain_EvenWhenItIsNotRepeatable()
    {
        // 55P03: it waited too long for a lock, and its transaction rolled back.
        var context = Context(sent: true, repeatable: false);

        Assert.True(StoreRetry.ShouldRetry(new PostgresException("lock timeout", "ERROR", "ERROR", PostgresErrorCodes.LockNotAvailable), context));
        Assert.False(StoreRetry.ShouldRetry(new PostgresException("terminating connection", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), context));
        ResilienceContextPool.Shared.Return(context);
    }

    [Fact]
    public void AnErrorThatIsNotTransient_NeverRunsAgain()
    {
        var context = Context(sent: false, repeatable: true);

        Assert.False(StoreRetry.ShouldRetry(new PostgresException("permission denied", "ERROR", "ERROR", PostgresErrorCodes.InsufficientPrivilege), context));
        Assert.False(StoreRetry.ShouldRetry(new InvalidOperationException(), context));
        ResilienceContextPool.Shared.Return(context);
    }

    /// <summary>Runs <paramref name="attempt"/> through the pipeline, firing each backoff timer once it exists.</summary>
    private static async Task RunFiringEachBackoffAsync(ObservedFakeTimeProvider time, TimeSpan retryTimeout, List<TimeSpan> delays, Action attempt)
    {
        var retried = Channel.CreateUnbounded<TimeSpan>();
        var pipeline = StoreRetry.Create(time, retryTimeout, arguments =>
        {
            delays.Add(arguments.RetryDelay);
            retried.Writer.TryWrite(arguments.RetryDelay);
            return default;
        });
        var call = pipeline.ExecuteAsync<int>(_ =>
        {
            attempt();
            return ValueTask.FromResult(0);
        }).AsTask();

        for (var backoffs = 1; await Task.WhenAny(call, retried.Reader.ReadAsync().AsTask()) != call; backoffs++)
        {
            await time.WaitForTimerAsync(due => due > TimeSpan.Zero && due <= StoreRetry.MaxDelay, backoffs);
            time.Advance(StoreRetry.MaxDelay);
        }

        await call;
    }

    private static NpgsqlException ConnectionTimeout() => new("Timeout during connection attempt", new TimeoutException());

    private static ResilienceContext Context(bool sent, bool repeatable)
    {
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(StoreRetry.Sent, sent);
        context.Properties.Set(StoreRetry.Repeatable, repeatable);
        return context;
    }
}
