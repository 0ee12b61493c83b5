using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests.Support;

/// <summary>
/// The nodes of one test, sharing a database of their own: each started with <see cref="TestNode.StartAsync"/>, all
/// stopped and disposed when the test ends. A test class makes one, creates its database in <c>InitializeAsync</c> and
/// stops its nodes in <c>DisposeAsync</c>.
/// </summary>
internal sealed class TestNodes(PostgreSqlServer server)
{
    private readonly List<WebApplication> _started = [];

    /// <summary>The test's database, once <see cref="CreateDatabaseAsync"/> made it.</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>Creates the test's database.</summary>
    public async Task CreateDatabaseAsync() => ConnectionString = await server.CreateDatabaseAsync();

    /// <summary>Starts a node on the test's database; the parameters are <see cref="TestNode.StartAsync"/>'s.</summary>
    public async Task<WebApplication> StartAsync(
        Action<LongJobsBuilder> addJobs,
        Action<IServiceCollection>? services = null,
        Action<LongJobsOptions>? jobs = null,
        Action<PostgreSqlJobStoreOptions>? store = null)
    {
        var node = await TestNode.StartAsync(ConnectionString, addJobs, services, jobs, store);
        _started.Add(node);
        return node;
    }

    /// <summary>Stops and disposes every node started.</summary>
    public async Task StopAllAsync()
    {
        foreach (var node in _started)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        _started.Clear();
    }
}
