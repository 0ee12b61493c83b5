using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.PostgreSql.Tests.Support;

/// <summary>A LongJobs node for tests: a started web application on the test server, its jobs in PostgreSQL.</summary>
internal static class TestNode
{
    /// <summary>Starts a node in the Production environment with the jobs API mapped.</summary>
    /// <param name="connectionString">The database every node of the test shares.</param>
    /// <param name="addJobs">Registers the test's job kinds (and anything else on the LongJobs builder).</param>
    /// <param name="services">Adds the test's own services, such as the gates its jobs wait on.</param>
    /// <param name="jobs">Sets LongJobs options.</param>
    /// <param name="store">Sets PostgreSQL store options.</param>
    /// <param name="app">Adds middleware to the built app before the jobs API is mapped (as <c>UseExceptionHandler()</c>).</param>
    /// <returns>The started node; call <c>GetTestClient()</c> for its HTTP client.</returns>
    public static async Task<WebApplication> StartAsync(
        string connectionString,
        Action<LongJobsBuilder> addJobs,
        Action<IServiceCollection>? services = null,
        Action<LongJobsOptions>? jobs = null,
        Action<PostgreSqlJobStoreOptions>? store = null,
        Action<WebApplication>? app = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("LONGJOBS_TEST_LOGS") == "1")
        {
            // For debugging a test: LONGJOBS_TEST_LOGS=1 dotnet test ... --logger "console;verbosity=detailed"
            builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Debug);
        }
        services?.Invoke(builder.Services);
        var longJobs = builder.Services.AddLongJobs(jobs ?? (_ => { }));
        addJobs(longJobs);
        longJobs.UsePostgreSql(connectionString, store);
        var built = builder.Build();
        app?.Invoke(built);
        built.MapLongJobs();
        await built.StartAsync();
        return built;
    }
}
