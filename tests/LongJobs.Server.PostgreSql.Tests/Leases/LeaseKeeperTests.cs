using LongJobs.Server.Execution;
using LongJobs.Server.PostgreSql.Supervision;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Leases;

/// <summary>The heartbeat is supervised: an error it did not plan for neither stops the host nor ends the renewals.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class LeaseKeeperTests(PostgreSqlServer server) : IAsyncLifetime, IDisposable
{
    private readonly RecordedLogs _logs = new();
    private WebApplication? _node;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AHeartbeatThatFailsWithAPermissionError_KeepsTheHostRunning_SaysSoOnce_AndRenewsAgainOnceAllowed()
    {
        // The node connects as a role of its own, which a superuser can deny the right to update its jobs.
        var database = await server.CreateDatabaseAsync();
        var role = "longjobs_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(database, $"CREATE ROLE {role} LOGIN; GRANT CREATE ON DATABASE \"{new NpgsqlConnectionStringBuilder(database).Database}\" TO {role}");
        _node = await TestNode.StartAsync(
            new NpgsqlConnectionStringBuilder(database) { Username = role }.ConnectionString,
            _ => { },
            services => services.AddSingleton<ILoggerProvider>(_logs).Configure<LoggerFilterOptions>(options => options.MinLevel = LogLevel.Debug),
            store: options =>
            {
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
                options.LeaseDuration = TimeSpan.FromSeconds(30);
            });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = await _node.Services.GetRequiredService<IJobScheduler>().StartAsync(async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
        });
        await started.Task.WithSafetyTimeout();

        // 42501, not an outage: the heartbeat's renewal fails beat after beat.
        await ExecuteAsync(database, $"REVOKE UPDATE ON longjobs.jobs FROM {role}");
        var failed = await _logs.WaitForAsync(SupervisedLoop.FailedEvent);
        await _logs.WaitForAsync(SupervisedLoop.FailedAgainEvent);
        await ExecuteAsync(database, $"GRANT UPDATE ON longjobs.jobs TO {role}");
        var allowedAt = DateTimeOffset.UtcNow;
        var recovered = await _logs.WaitForAsync(SupervisedLoop.RecoveredEvent);

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(failed.Exception).SqlState);
        Assert.StartsWith("Renewing job leases failed unexpectedly.", failed.Message, StringComparison.Ordinal);
        Assert.StartsWith("Renewing job leases works again", recovered.Message, StringComparison.Ordinal);
        Assert.Single(_logs.Entries, entry => entry.Level >= LogLevel.Warning && entry.Message.StartsWith("Renewing job leases", StringComparison.Ordinal));
        Assert.False(_node.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.True(await HeartbeatAtAsync(database, job.Id) >= allowedAt.AddMilliseconds(-1));

        release.TrySetResult();
        await job.Task.WithSafetyTimeout();
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public void Dispose() => _logs.Dispose();

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<DateTimeOffset> HeartbeatAtAsync(string connectionString, Guid id)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("SELECT heartbeat_at FROM longjobs.jobs WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }
}
