using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
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

    /// <summary>
    /// Reads job <paramref name="id"/> through <paramref name="node"/>'s store until <paramref name="condition"/> holds
    /// (by default, until it has finished), waiting for its changes in between, within the safety timeout.
    /// </summary>
    public static async Task<JobRecord> WaitUntilAsync(WebApplication node, Guid id, Func<JobRecord, bool>? condition = null)
    {
        condition ??= job => job.Status.IsFinished();
        var store = node.Services.GetRequiredService<IJobStore>();
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        var job = await store.GetAsync(id, timeout.Token) ?? throw new InvalidOperationException($"Job {id} is unknown.");
        while (!condition(job))
        {
            job = await store.WaitForChangeAsync(id, job.Version, timeout.Token) ?? throw new InvalidOperationException($"Job {id} was removed.");
        }

        return job;
    }
}
