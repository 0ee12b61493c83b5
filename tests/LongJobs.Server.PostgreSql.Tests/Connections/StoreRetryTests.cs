using LongJobs.Server.PostgreSql.Connections;
using Npgsql;
using Polly;

namespace LongJobs.Server.PostgreSql.Tests.Connections;

/// <summary>The store's retry pipeline: which failures run again, how often, and after what delays.</summary>
public sealed class StoreRetryTests
{
    [Fact]
    public async Task AConnectionAttemptThatKeepsTimingOut_RunsFourTimesInAll_WithBoundedDelays()
    {
        var delays = new List<TimeSpan>();
        var pipeline = StoreRetry.Create(TimeProvider.System, arguments =>
        {
            delays.Add(arguments.RetryDelay);
            return default;
        });
        var attempts = 0;

        var failure = await Assert.ThrowsAsync<NpgsqlException>(async () => await pipeline.ExecuteAsync<int>(_ =>
        {
            attempts++;
            throw ConnectionTimeout();
        }));

        Assert.True(failure.IsTransient);
        Assert.Equal(StoreRetry.MaxRetryAttempts + 1, attempts);
        Assert.Equal(StoreRetry.MaxRetryAttempts, delays.Count);
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.FromTicks(1), StoreRetry.MaxDelay));
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

    private static NpgsqlException ConnectionTimeout() => new("Timeout during connection attempt", new TimeoutException());

    private static ResilienceContext Context(bool sent, bool repeatable)
    {
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(StoreRetry.Sent, sent);
        context.Properties.Set(StoreRetry.Repeatable, repeatable);
        return context;
    }
}
