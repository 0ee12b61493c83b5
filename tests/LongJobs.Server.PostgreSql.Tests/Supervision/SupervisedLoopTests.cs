using LongJobs.Server.PostgreSql.Supervision;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Supervision;

/// <summary>A supervised loop keeps going whatever fails, and says so once per episode.</summary>
public sealed class SupervisedLoopTests : IDisposable
{
    private readonly RecordedLogs _logs = new();

    [Fact]
    public async Task AStepThatFailsUnexpectedly_RunsAgainUntilItWorks_LoggingOneErrorAndOneRecovery()
    {
        var loop = NewLoop();
        var attempts = 0;

        var result = await loop.RunAsync(
            _ => ++attempts <= 3 ? throw new InvalidOperationException("not yet") : ValueTask.FromResult(attempts),
            CancellationToken.None).AsTask().WithSafetyTimeout();

        Assert.Equal(4, result);
        var error = Assert.Single(_logs.Entries, entry => entry.Level >= LogLevel.Warning);
        Assert.Equal((LogLevel.Error, SupervisedLoop.FailedEvent), (error.Level, error.EventId));
        Assert.IsType<InvalidOperationException>(error.Exception);
        var recovered = Assert.Single(_logs.Entries, entry => entry.EventId == SupervisedLoop.RecoveredEvent);
        Assert.StartsWith("Test loop works again, after 3 failures in ", recovered.Message, StringComparison.Ordinal);
        Assert.Equal(0, loop.ConsecutiveFailures);
    }

    [Fact]
    public async Task ADatabaseOutOfReach_IsLeftToTheStoresAvailability_AndLoggedByTheLoopAtTheDebugLevelOnly()
    {
        // The store's DatabaseAvailability says once for every call and loop that the database is out of reach
        // (DatabaseAvailabilityTests): a warning without a stack trace.
        var loop = NewLoop();
        var attempts = 0;

        await loop.RunAsync(
            _ => ++attempts switch
            {
                1 => throw new NpgsqlException("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException()),
                2 => throw new LongJobs.Server.Storage.JobStoreUnavailableException(new PostgresException("password authentication failed", "FATAL", "FATAL", "28P01")),
                _ => ValueTask.CompletedTask,
            },
            CancellationToken.None).AsTask().WithSafetyTimeout();

        Assert.Equal([SupervisedLoop.FailedAgainEvent, SupervisedLoop.FailedAgainEvent, SupervisedLoop.RecoveredEvent], _logs.Entries.Select(entry => entry.EventId));
        Assert.All(_logs.Entries, entry => Assert.Equal((LogLevel.Debug, null), (entry.Level, entry.Exception)));
        Assert.Contains("Failed to connect to 127.0.0.1:1", _logs.Entries[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_EndsAFailingStep_WithoutAnotherRun()
    {
        var loop = NewLoop(firstDelay: TimeSpan.FromHours(1));
        using var stopping = new CancellationTokenSource();
        var attempts = 0;

        var running = loop.RunAsync(
            _ =>
            {
                attempts++;
                throw new InvalidOperationException("always");
            },
            stopping.Token).AsTask();
        await _logs.WaitForAsync(SupervisedLoop.FailedEvent);
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WithSafetyTimeout());
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task TryOnce_RecordsAFailureWithoutThrowing_AndTheNextSuccessEndsTheEpisode()
    {
        var loop = NewLoop();

        await loop.TryOnceAsync(_ => throw new InvalidOperationException("once"), CancellationToken.None);
        await loop.TryOnceAsync(_ => throw new InvalidOperationException("twice"), CancellationToken.None);
        Assert.Equal(2, loop.ConsecutiveFailures);
        await loop.TryOnceAsync(_ => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal([SupervisedLoop.FailedEvent, SupervisedLoop.FailedAgainEvent, SupervisedLoop.RecoveredEvent], _logs.Entries.Select(entry => entry.EventId));
        Assert.Equal(0, loop.ConsecutiveFailures);
    }

    public void Dispose() => _logs.Dispose();

    private SupervisedLoop NewLoop(TimeSpan? firstDelay = null) =>
        new("Test loop", _logs, TimeProvider.System, firstDelay ?? TimeSpan.FromMilliseconds(1), firstDelay ?? TimeSpan.FromMilliseconds(5));
}
