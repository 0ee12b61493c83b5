using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>The database stops and starts again under a running node.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class DatabaseOutageTests(PostgreSqlServer server) : IAsyncLifetime
{
    private WebApplication? _node;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddLongJobs()
            .AddJob<EchoJob, EchoRequest, EchoResult>("echo")
            .UsePostgreSql(await server.CreateDatabaseAsync());
        _node = builder.Build();
        _node.MapLongJobs();
        await _node.StartAsync();
        _client = _node.GetTestClient();
    }

    [Fact]
    public async Task WhileTheDatabaseIsDown_RequestsGet503WithRetryAfter_AndAfterItIsBackNothingFinishedIsLost()
    {
        using var started = await _client.PostAsJsonAsync("/api/jobs/echo", new EchoRequest { Text = "kept" });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var finished = await _client.GetAsync($"/api/jobs/{id}?wait=30");
        Assert.Equal("Succeeded", (await finished.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        await server.StopAsync();
        try
        {
            using var read = await _client.GetAsync($"/api/jobs/{id}");
            using var start = await _client.PostAsJsonAsync("/api/jobs/echo", new EchoRequest { Text = "refused" });

            foreach (var response in new[] { read, start })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        finally
        {
            await server.StartAsync();
        }

        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/jobs/echo/{id}");
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal("kept", state.GetProperty("result").GetProperty("text").GetString());

        using var again = await _client.PostAsJsonAsync("/api/jobs/echo", new EchoRequest { Text = "after" });
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.StopAsync();
            await _node.DisposeAsync();
        }
    }

    public sealed class EchoJob : IJobHandler<EchoRequest, EchoResult>
    {
        public Task<EchoResult> ExecuteAsync(EchoRequest request, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new EchoResult { Text = request.Text });
    }

    public sealed record EchoRequest
    {
        public required string Text { get; init; }
    }

    public sealed record EchoResult
    {
        public required string Text { get; init; }
    }
}
