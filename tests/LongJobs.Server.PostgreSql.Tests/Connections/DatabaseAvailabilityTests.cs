using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Connections;

/// <summary>What a database failure means, and the lines an operator reads during an outage: one when it begins, one when it ends.</summary>
public sealed class DatabaseAvailabilityTests : IDisposable
{
    private readonly RecordedLogs _logs = new();
    private readonly ObservedFakeTimeProvider _time = new();

    [Theory]
    [InlineData("28P01", nameof(DatabaseProblem.CredentialsRejected), false)]
    [InlineData("28000", nameof(DatabaseProblem.CredentialsRejected), false)]
    [InlineData("3D000", nameof(DatabaseProblem.DatabaseMissing), false)]
    [InlineData("53300", nameof(DatabaseProblem.ShortOfResources), true)]
    [InlineData("57P01", nameof(DatabaseProblem.ShuttingDown), true)]
    [InlineData("57P03", nameof(DatabaseProblem.ShuttingDown), true)]
    [InlineData("58030", nameof(DatabaseProblem.ServerError), true)]
    [InlineData("08006", nameof(DatabaseProblem.Unreachable), true)]
    [InlineData("40P01", nameof(DatabaseProblem.Busy), true)]
    [InlineData("42501", nameof(DatabaseProblem.None), false)]
    [InlineData("42P01", nameof(DatabaseProblem.None), false)]
    [InlineData("23505", nameof(DatabaseProblem.None), false)]
    public void AServerError_IsClassedBySqlState(string sqlState, string expectedProblem, bool retryable)
    {
        var expected = Enum.Parse<DatabaseProblem>(expectedProblem);
        var error = new PostgresException("message", "FATAL", "FATAL", sqlState);

        Assert.Equal(expected, DatabaseFailures.Classify(error));
        Assert.Equal(expected != DatabaseProblem.None, DatabaseFailures.IsUnavailable(error));
        Assert.Equal(retryable, DatabaseFailures.IsRetryable(error));
    }

    [Fact]
    public void NpgsqlsOwnErrors_AreUnavailable_RetriedOnlyWhenTransient()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException(111));
        var noPassword = new NpgsqlException("No password has been provided but the backend requires one (in SASL/SCRAM-SHA-256)");

        Assert.Equal((DatabaseProblem.Unreachable, true), (DatabaseFailures.Classify(refused), DatabaseFailures.IsRetryable(refused)));
        Assert.Equal((DatabaseProblem.ConnectionRefused, false), (DatabaseFailures.Classify(noPassword), DatabaseFailures.IsRetryable(noPassword)));
        Assert.Equal(DatabaseProblem.None, DatabaseFailures.Classify(new InvalidOperationException("a bug")));
        Assert.StartsWith("The job database cannot be reached (Failed to connect to 127.0.0.1:1: Connection refused)", DatabaseFailures.Describe(refused), StringComparison.Ordinal);
    }

    [Fact]
    public void RejectedCredentials_AreDescribedOnOneLine_SayingWhatToCheck()
    {
        var error = new PostgresException("password authentication failed for user \"node\"", "FATAL", "FATAL", "28P01");

        Assert.Equal(
            "The job database rejected the credentials (28P01: password authentication failed for user \"node\"): check the connection string",
            DatabaseFailures.Describe(error));
    }

    [Fact]
    public void AnOutage_IsOneWarningWithoutAStackTrace_ThenOneLineWhenItEnds_SayingHowLong()
    {
        var availability = new DatabaseAvailability(_logs, _time);

        var began = _time.GetTimestamp(); // a call under way as the database goes
        _time.Advance(TimeSpan.FromSeconds(1));
        for (var call = 0; call < 20; call++)
        {
            availability.Failed(Refused());
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        availability.Succeeded(began); // begun before the outage was seen: proves nothing
        Assert.True(availability.IsOut);
        availability.Succeeded(_time.GetTimestamp());

        var lines = _logs.Entries.Where(entry => entry.Level > LogLevel.Debug).ToList();
        Assert.Equal([(LogLevel.Warning, DatabaseAvailability.OutEvent), (LogLevel.Information, DatabaseAvailability.BackEvent)], lines.Select(entry => (entry.Level, entry.EventId)));
        Assert.All(lines, entry => Assert.Null(entry.Exception));
        Assert.StartsWith("The job database cannot be reached (Failed to connect to 127.0.0.1:1: Connection refused). The job store keeps trying", lines[0].Message, StringComparison.Ordinal);
        Assert.Equal("The job database is back, after 00:00:20.", lines[1].Message);
        Assert.False(availability.IsOut);
    }

    [Fact]
    public void ALongOutage_IsRemindedOfOncePerInterval_AndAtOnceWhenItsReasonChanges()
    {
        var availability = new DatabaseAvailability(_logs, _time);

        availability.Failed(Refused());
        _time.Advance(DatabaseAvailability.ReminderInterval / 2);
        availability.Failed(Refused());
        _time.Advance(DatabaseAvailability.ReminderInterval / 2);
        availability.Failed(Refused());
        availability.Failed(Refused());
        availability.Failed(new PostgresException("password authentication failed for user \"node\"", "FATAL", "FATAL", "28P01"));

        var lines = _logs.Entries.Where(entry => entry.Level > LogLevel.Debug).ToList();
        Assert.Equal([DatabaseAvailability.OutEvent, DatabaseAvailability.StillOutEvent, DatabaseAvailability.StillOutEvent], lines.Select(entry => entry.EventId));
        Assert.Contains("28P01", lines[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFlappingDatabase_IsNotAnnouncedAgainWithinTheReminderInterval()
    {
        var availability = new DatabaseAvailability(_logs, _time);

        for (var outage = 0; outage < 5; outage++)
        {
            availability.Failed(Refused());
            _time.Advance(TimeSpan.FromSeconds(1));
            availability.Succeeded(_time.GetTimestamp());
        }

        Assert.Equal(
            [DatabaseAvailability.OutEvent, DatabaseAvailability.BackEvent],
            _logs.Entries.Where(entry => entry.Level > LogLevel.Debug).Select(entry => entry.EventId));
    }

    public void Dispose() => _logs.Dispose();

    private static NpgsqlException Refused() => new("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException(111));
}
