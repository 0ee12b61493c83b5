using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Support;

/// <summary>The fixture itself: a server to connect to, databases of one's own, a server that stops and starts.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class PostgreSqlServerTests(PostgreSqlServer server)
{
    [Fact]
    public async Task ConnectionString_ReachesARunningServer()
    {
        var version = await QueryAsync<string>(server.ConnectionString, "select version()");

        Assert.StartsWith("PostgreSQL ", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateDatabase_Twice_ReturnsTwoDistinctDatabases()
    {
        var first = await server.CreateDatabaseAsync();
        var second = await server.CreateDatabaseAsync();
        await ExecuteAsync(first, "create table marker (id int)");

        var firstName = await QueryAsync<string>(first, "select current_database()");
        var secondName = await QueryAsync<string>(second, "select current_database()");
        Assert.NotEqual(firstName, secondName);
        Assert.NotEqual(await QueryAsync<string>(server.ConnectionString, "select current_database()"), firstName);
        Assert.Equal(1, await QueryAsync<long>(first, "select count(*) from pg_tables where tablename = 'marker'"));
        Assert.Equal(0, await QueryAsync<long>(second, "select count(*) from pg_tables where tablename = 'marker'"));
    }

    [Fact]
    public async Task StopThenStart_RefusesConnectionsWhileStoppedAndServesAgainAfterwards()
    {
        var database = await server.CreateDatabaseAsync();
        await ExecuteAsync(database, "create table kept (id int); insert into kept values (42)");

        await server.StopAsync();
        try
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => QueryAsync<int>(database, "select 1"));
        }
        finally
        {
            await server.StartAsync();
        }

        Assert.Equal(42, await QueryAsync<int>(database, "select id from kept"));
    }

    private static async Task<T> QueryAsync<T>(string connectionString, string sql)
    {
        // A data source per call: its pool ends with it, so no test meets a connection from before a restart.
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
