using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>The <c>longjobs</c> health check that <c>AddLongJobs</c> registers, on the PostgreSQL store.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class HealthCheckTests(PostgreSqlServer server)
{
    [Fact]
    public async Task IsHealthy_WhileTheDatabaseAnswers()
    {
        await using var services = Services(await server.CreateDatabaseAsync());

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["longjobs"].Status);
    }

    [Fact]
    public async Task IsUnhealthy_WhenTheDatabaseCannotBeReached()
    {
        // A port nothing listens on: the connection is refused at once.
        await using var services = Services("Host=127.0.0.1;Port=1;Username=postgres;Database=postgres;Timeout=2");

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["longjobs"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The job store cannot be reached. The job database cannot be reached (Failed to connect to 127.0.0.1:1", entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', entry.Description!);
    }

    [Fact]
    public async Task AnUnhealthyProbe_LogsOneLineWithoutAStackTrace()
    {
        // What ASP.NET Core's DefaultHealthCheckService logs per probe: an unhealthy check at the error level, with the
        // result's exception when it has one. LongJobs' result has none: the store logs the outage itself, once.
        using var logs = new RecordedLogs();
        var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddLongJobs().UsePostgreSql("Host=127.0.0.1;Port=1;Username=postgres;Database=postgres;Timeout=2", options => options.RetryTimeout = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        for (var probe = 0; probe < 3; probe++)
        {
            await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        }

        Assert.All(logs.Entries, entry => Assert.Null(entry.Exception));
        var unhealthy = logs.Entries.Where(entry => entry.Message.StartsWith("Health check longjobs with status Unhealthy", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, unhealthy.Count);
        Assert.All(unhealthy, entry => Assert.Equal(LogLevel.Error, entry.Level));
        var outage = Assert.Single(logs.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Equal(DatabaseAvailability.OutEvent, outage.EventId);
    }

    private static ServiceProvider Services(string connectionString)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddLongJobs().UsePostgreSql(connectionString);
        return services.BuildServiceProvider();
    }
}
