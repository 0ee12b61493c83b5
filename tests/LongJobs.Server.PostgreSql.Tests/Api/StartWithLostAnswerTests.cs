using System.Net;
using System.Text;
using System.Text.Json;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Api;

/// <summary>
/// A <c>POST</c> whose INSERT PostgreSQL committed while the connection broke before the answer came: a stored job is
/// never answered with an error; when the database stays out of reach, the 503 says the job may exist, and a repeat
/// with the same Idempotency-Key answers with that job.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class StartWithLostAnswerTests(PostgreSqlServer server)
{
    [Fact]
    public async Task Start_WhoseInsertAnswerIsLost_Returns202WithTheOneStoredJob()
    {
        var database = await server.CreateDatabaseAsync();
        await using var proxy = new FaultyProxy(database);
        var gates = new JobGates();
        await using var node = await StartNodeAsync(proxy, database, gates);
        using var client = node.GetTestClient();

        proxy.LoseAnswerTo("INSERT INTO");
        using var response = await PostAsync(client, key: null);

        Assert.True(proxy.AnswerLost.IsCompleted);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = Assert.Single((await node.Services.GetRequiredService<IJobRecords>().ListAsync(new JobQuery())).Items);
        Assert.Equal(stored.Id, await IdAsync(response));
        gates.ReleaseAll();
    }

    [Fact]
    public async Task Start_WhoseInsertAnswerIsLostAndTheDatabaseStaysUnreachable_Returns503SayingTheJobMayExist_ThenTheSameKeyFindsIt()
    {
        var database = await server.CreateDatabaseAsync();
        await using var proxy = new FaultyProxy(database);
        var gates = new JobGates();
        await using var node = await StartNodeAsync(proxy, database, gates);
        using var client = node.GetTestClient();

        proxy.LoseAnswerTo("INSERT INTO", thenHold: true);
        using var unknown = await PostAsync(client, key: "order-17");

        Assert.True(proxy.AnswerLost.IsCompleted);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("may have stored the job", detail, StringComparison.Ordinal);
        Assert.Contains("same Idempotency-Key", detail, StringComparison.Ordinal);

        proxy.HoldNextConnections(0);
        using var repeated = await PostAsync(client, key: "order-17");

        Assert.Equal(HttpStatusCode.Accepted, repeated.StatusCode);
        var stored = Assert.Single((await node.Services.GetRequiredService<IJobRecords>().ListAsync(new JobQuery())).Items);
        Assert.Equal(stored.Id, await IdAsync(repeated));
        gates.ReleaseAll();
    }

    /// <summary>A node whose every store call opens its own connection through <paramref name="proxy"/>, and gives up after a second.</summary>
    private static Task<WebApplication> StartNodeAsync(FaultyProxy proxy, string database, JobGates gates) => TestNode.StartAsync(
        new NpgsqlConnectionStringBuilder(proxy.Through(database)) { Pooling = false, Timeout = 1, MaxAutoPrepare = 0 }.ConnectionString,
        jobs => jobs.AddJob<GatedJob, GatedRequest, GatedResult>("gated"),
        services => services.AddSingleton(gates),
        store: options => options.RetryTimeout = TimeSpan.FromSeconds(1),
        app: app => app.UseExceptionHandler());

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/gated", UriKind.Relative))
        {
            Content = new StringContent("""{"gateKey":"lost","value":3}""", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await client.SendAsync(request).WithSafetyTimeout();
    }

    private static async Task<Guid> IdAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
}
