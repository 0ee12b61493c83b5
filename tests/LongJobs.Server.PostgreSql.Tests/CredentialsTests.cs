using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// The database rejects the nodes' credentials (28P01), at run time or at start-up, or the database does not exist:
/// the store is unavailable (503, unhealthy, one line in the log), never failing (500), and works again by itself.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class CredentialsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly List<WebApplication> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task APasswordRotatedWhileTwoNodesRun_Answers503_ThenTheHeartbeatResumes_AndTheRunningJobRunsOnce()
    {
        var (database, role, password) = await CreateRoleAsync();
        var connectionString = WithLogin(database, role, password);
        var (nodeA, logsA) = await StartNodeAsync(connectionString);
        var (nodeB, logsB) = await StartNodeAsync(connectionString);
        var gate = Guid.NewGuid().ToString("N");
        using var started = await nodeA.GetTestClient().PostAsJsonAsync("/api/jobs/guarded", new GuardedRequest { Gate = gate });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await GuardedJob.Gate(gate).Started.Task.WithSafetyTimeout();

        // The rotation: the server takes another password, and the sessions opened with the old one end.
        await ExecuteAsync(server.ConnectionString, $"ALTER ROLE {role} PASSWORD 'rotated-{Guid.NewGuid():N}'");
        await TerminateSessionsAsync(role);
        await Task.WhenAll(logsA.WaitForAsync(DatabaseAvailability.OutEvent), logsB.WaitForAsync(DatabaseAvailability.OutEvent));
        foreach (var node in new[] { nodeA, nodeB })
        {
            var client = node.GetTestClient();
            using var read = await client.GetAsync($"/api/jobs/{id}");
            using var list = await client.GetAsync("/api/jobs?kind=guarded");
            using var start = await client.PostAsJsonAsync("/api/jobs/guarded", new GuardedRequest { Gate = "never" });
            foreach (var response in new[] { read, list, start })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        // The job reports progress meanwhile: the report is dropped, the job goes on.
        GuardedJob.Gate(gate).Report.TrySetResult();
        await GuardedJob.Gate(gate).Reported.Task.WithSafetyTimeout();

        await ExecuteAsync(server.ConnectionString, $"ALTER ROLE {role} PASSWORD '{password}'");
        var restoredAt = DateTimeOffset.UtcNow;
        await Task.WhenAll(logsA.WaitForAsync(DatabaseAvailability.BackEvent), logsB.WaitForAsync(DatabaseAvailability.BackEvent));
        await EventuallyAsync(async () => await HeartbeatAtAsync(database, id) > restoredAt);

        GuardedJob.Gate(gate).Release.TrySetResult();
        using var finished = await nodeA.GetTestClient().GetAsync($"/api/jobs/guarded/{id}?wait=30");
        var state = await finished.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(1, state.GetProperty("attempt").GetInt32());
        Assert.Equal(1, GuardedJob.Gate(gate).Runs);
        Assert.Null(GuardedJob.Gate(gate).ReportFailure);
        foreach (var logs in new[] { logsA, logsB })
        {
            Assert.Single(logs.Entries, entry => entry.EventId == DatabaseAvailability.OutEvent && entry.Level == LogLevel.Warning);
        }
    }

    [Fact]
    public async Task ANodeStartedWithAWrongPassword_StartsUnhealthy_SayingSoInOneLine_AndWorksOnceTheServerTakesIt()
    {
        var (database, role, _) = await CreateRoleAsync();
        var (node, logs) = await StartNodeAsync(WithLogin(database, role, "the-new-one"));

        var warning = Assert.Single(Warnings(logs));
        Assert.Equal((DatabaseAvailability.OutEvent, LogLevel.Warning, null), (warning.EventId, warning.Level, warning.Exception));
        Assert.Equal(
            $"The job database rejected the credentials (28P01: password authentication failed for user \"{role}\"): check the connection string. " +
            "The job store keeps trying, and answers 503 meanwhile; a line will say when the database is back.",
            warning.Message);
        var health = await node.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("28P01", health.Entries["longjobs"].Description, StringComparison.Ordinal);
        using var refused = await node.GetTestClient().PostAsJsonAsync("/api/jobs/guarded", new GuardedRequest());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        // The password the node was given becomes the right one (a rotation done in the other order).
        await ExecuteAsync(server.ConnectionString, $"ALTER ROLE {role} PASSWORD 'the-new-one'");
        using var started = await node.GetTestClient().PostAsJsonAsync("/api/jobs/guarded", new GuardedRequest());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var finished = await node.GetTestClient().GetAsync($"/api/jobs/guarded/{id}?wait=30");
        Assert.Equal("Succeeded", (await finished.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Single(logs.Entries, entry => entry.EventId == DatabaseAvailability.BackEvent && entry.Level == LogLevel.Information);
    }

    [Fact]
    public async Task ANodeStartedOnAMissingDatabase_StartsUnhealthy_SayingSoInOneLine_AndWorksOnceItIsCreated()
    {
        var name = "longjobs_test_missing_" + Guid.NewGuid().ToString("N");
        var (node, logs) = await StartNodeAsync(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString);

        var warning = Assert.Single(Warnings(logs));
        Assert.StartsWith($"The job database does not exist (3D000: database \"{name}\" does not exist): check the connection string.", warning.Message, StringComparison.Ordinal);
        Assert.Null(warning.Exception);

        await ExecuteAsync(server.ConnectionString, $"CREATE DATABASE \"{name}\"");
        try
        {
            using var started = await node.GetTestClient().PostAsJsonAsync("/api/jobs/guarded", new GuardedRequest());
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }
        finally
        {
            await StopNodesAsync();
            await ExecuteAsync(server.ConnectionString, $"DROP DATABASE \"{name}\" WITH (FORCE)");
        }
    }

    public Task DisposeAsync() => StopNodesAsync();

    private async Task StopNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private async Task<(WebApplication Node, RecordedLogs Logs)> StartNodeAsync(string connectionString)
    {
        var logs = new RecordedLogs();
        var node = await TestNode.StartAsync(
            connectionString,
            longJobs => longJobs.AddJob<GuardedJob, GuardedRequest, GuardedResult>("guarded"),
            services => services.AddSingleton<ILoggerProvider>(logs).Configure<LoggerFilterOptions>(options => options.MinLevel = LogLevel.Debug),
            store: options =>
            {
                // A rotation much shorter than the lease: no other node may take the running job over.
                options.LeaseDuration = TimeSpan.FromSeconds(60);
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
                options.RetryTimeout = TimeSpan.FromSeconds(1);
            });
        _nodes.Add(node);
        return (node, logs);
    }

    /// <summary>A database and a role that logs in to it with a password (<see cref="PostgreSqlServer.PasswordLoginGroup"/>).</summary>
    private async Task<(string Database, string Role, string Password)> CreateRoleAsync()
    {
        var database = await server.CreateDatabaseAsync();
        var role = "longjobs_" + Guid.NewGuid().ToString("N")[..12];
        var password = "first-" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(
            database,
            $"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {PostgreSqlServer.PasswordLoginGroup}; " +
            $"GRANT CREATE ON DATABASE \"{new NpgsqlConnectionStringBuilder(database).Database}\" TO {role}");
        return (database, role, password);
    }

    private static string WithLogin(string database, string role, string password) =>
        new NpgsqlConnectionStringBuilder(database) { Username = role, Password = password }.ConnectionString;

    private async Task TerminateSessionsAsync(string role) =>
        await ExecuteAsync(server.ConnectionString, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<DateTimeOffset> HeartbeatAtAsync(string database, Guid id)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT heartbeat_at FROM longjobs.jobs WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }

    /// <summary>The entries at warning level or above; a failed assertion on them shows them.</summary>
    private static List<LogEntry> Warnings(RecordedLogs logs)
    {
        var warnings = logs.Entries.Where(entry => entry.Level >= LogLevel.Warning).ToList();
        Assert.True(warnings.Count == 1, string.Join(Environment.NewLine, warnings.Select(entry => $"{entry.Level} {entry.EventId} {entry.Message} {entry.Exception}")));
        return warnings;
    }

    /// <summary>Waits for a condition that the database shows, reading it again every few milliseconds, within the safety timeout.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
        }
    }

    /// <summary>A job that signals its start, reports progress when told to, and ends when released; it counts its runs.</summary>
    public sealed class GuardedJob : IJobHandler<GuardedRequest, GuardedResult>
    {
        private static readonly ConcurrentDictionary<string, Gates> All = new();

        public static Gates Gate(string name) => All.GetOrAdd(name, _ => new Gates());

        public async Task<GuardedResult> ExecuteAsync(GuardedRequest request, JobContext context, CancellationToken cancellationToken)
        {
            if (request.Gate is not { } name)
            {
                return new GuardedResult();
            }

            var gate = Gate(name);
            gate.Ran();
            gate.Started.TrySetResult();
            await gate.Report.Task.WaitAsync(cancellationToken);
            try
            {
                await context.ReportProgressAsync(0.5, "across the rotation", cancellationToken);
            }
            catch (Exception exception)
            {
                gate.ReportFailure = exception;
            }

            gate.Reported.TrySetResult();
            await gate.Release.Task.WaitAsync(cancellationToken);
            return new GuardedResult();
        }

        /// <summary>The signals of one test's job.</summary>
        public sealed class Gates
        {
            private int _runs;

            public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Report { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Reported { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public int Runs => Volatile.Read(ref _runs);

            public void Ran() => Interlocked.Increment(ref _runs);

            public Exception? ReportFailure { get; set; }
        }
    }

    public sealed record GuardedRequest
    {
        public string? Gate { get; init; }
    }

    public sealed record GuardedResult;
}
