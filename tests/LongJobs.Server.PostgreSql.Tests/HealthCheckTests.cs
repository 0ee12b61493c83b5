using LongJobs.Server.PostgreSql.Tests.Support;
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
        Assert.Equal("The job store cannot be reached.", entry.Description);
    }

    private static ServiceProvider Services(string connectionString)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddLongJobs().UsePostgreSql(connectionString);
        return services.BuildServiceProvider();
    }
}
