using LongJobs.Server.Execution;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.DependencyInjection;

/// <summary>Where the store gets its database: the application's data source (given, or registered in the services), or a connection string.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class UsePostgreSqlTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _database = string.Empty;

    public async Task InitializeAsync() => _database = await server.CreateDatabaseAsync();

    [Fact]
    public async Task WithTheApplicationsDataSource_RunsJobsOnIt_AndLeavesItOpenWhenTheHostEnds()
    {
        await using var dataSource = NpgsqlDataSource.Create(_database);
        var node = await StartNodeAsync(longJobs => longJobs.UsePostgreSql(dataSource));

        await RunAJobAsync(node);
        Assert.Same(dataSource, node.Services.GetRequiredService<PostgreSqlJobStore>().DataSource);
        await node.StopAsync();
        await node.DisposeAsync();

        await using var command = dataSource.CreateCommand("SELECT count(*) FROM longjobs.jobs");
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task WithoutAConnectionString_UsesTheDataSourceRegisteredInTheServices()
    {
        await using var dataSource = NpgsqlDataSource.Create(_database);
        var node = await StartNodeAsync(
            longJobs => longJobs.UsePostgreSql(options => options.Schema = "jobs_of_the_app"),
            services => services.AddSingleton(dataSource)); // as AddNpgsqlDataSource registers it

        await RunAJobAsync(node);

        Assert.Same(dataSource, node.Services.GetRequiredService<PostgreSqlJobStore>().DataSource);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM jobs_of_the_app.jobs");
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AConnectionString_WinsOverTheDataSourceInTheServices()
    {
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=postgres;Timeout=1");
        var node = await StartNodeAsync(longJobs => longJobs.UsePostgreSql(_database), services => services.AddSingleton(unreachable));

        await RunAJobAsync(node);

        Assert.NotSame(unreachable, node.Services.GetRequiredService<PostgreSqlJobStore>().DataSource);
    }

    [Fact]
    public async Task WithNoDatabaseAnywhere_FailsAtStartUp_SayingHowToGiveOne()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartNodeAsync(longJobs => longJobs.UsePostgreSql()));

        Assert.Contains("AddNpgsqlDataSource", failure.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    private static async Task RunAJobAsync(WebApplication node)
    {
        var job = await node.Services.GetRequiredService<IJobScheduler>().StartAsync((_, _) => Task.FromResult(42));
        Assert.Equal(42, await job.Task.WaitAsync(SafetyTimeout.Value));
    }

    private async Task<WebApplication> StartNodeAsync(Action<LongJobsBuilder> useStore, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        useStore(builder.Services.AddLongJobs());
        var app = builder.Build();
        _disposables.Add(app);
        await app.StartAsync();
        return app;
    }
}
