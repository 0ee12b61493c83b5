using System.Net;
using System.Text.Json;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Api;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests.Api;

/// <summary>
/// The hostile-input corpus of the in-memory API tests (<see cref="HostileRequests"/>, linked from
/// LongJobs.Server.Tests) on PostgreSQL: what PostgreSQL refuses (NUL in text, an unpaired surrogate, an index row too
/// large) must be refused by the API first, with the same answer as on the in-memory store; never a 5xx.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class HostileInputTests(PostgreSqlServer server)
{
    [Fact]
    public async Task EveryHostileRequest_IsAnsweredAsOnTheInMemoryStore_AndTheNodeStillRunsJobs()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var gates = new JobGates();
        await using var node = await TestNode.StartAsync(
            connectionString,
            jobs =>
            {
                jobs.AddJob<GatedJob, GatedRequest, GatedResult>("gated").AddJob<FailingJob, FailingRequest, GatedResult>("failing");
                HostileRequests.AddNotifications(jobs);
            },
            services =>
            {
                services.AddSingleton(gates);
                HostileRequests.AddServices(services);
            },
            HostileRequests.Configure,
            app: app =>
            {
                // As the in-memory API tests' app and the sample: every error, routing's own included, is problem details.
                app.UseExceptionHandler();
                app.UseStatusCodePages();
            });
        using var client = node.GetTestClient();
        try
        {
            var failures = new List<string>();
            foreach (var (name, request) in HostileRequests.Cases)
            {
                failures.AddRange(await HostileRequests.CheckAsync(client, name, request) is { } failure ? [failure] : []);
            }

            HostileRequests.ReleaseGatesOfValidCases(gates);
            gates["finished"].Release();
            var finished = await StartAndAwaitAsync(client, "finished");
            foreach (var name in HostileRequests.IgnoredHeaders.Keys)
            {
                failures.AddRange(await HostileRequests.CheckIgnoredHeaderAsync(client, name, finished.GetProperty("id").GetGuid()) is { } failure ? [failure] : []);
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
            gates["fine"].Release();
            var fine = await StartAndAwaitAsync(client, "fine");
            Assert.Equal("Succeeded", fine.GetProperty("status").GetString());
            Assert.Equal(2, fine.GetProperty("result").GetProperty("doubledValue").GetInt32());
            var stored = await node.Services.GetRequiredService<IJobRecords>().ListAsync(new JobQuery { PageSize = JobQuery.MaxPageSize });
            var startedByCorpus = HostileRequests.Cases.Values.Count(request => request.StartsAJob)
                + HostileRequests.IgnoredHeaders.Values.Count(request => request.Expected == HttpStatusCode.Accepted);
            Assert.Equal(startedByCorpus + 2, stored.Items.Count);
        }
        finally
        {
            gates.ReleaseAll();
        }
    }

    /// <summary>Starts a gated job at <paramref name="gateKey"/> (already released) and long-polls until it has finished.</summary>
    private static async Task<JsonElement> StartAndAwaitAsync(HttpClient client, string gateKey)
    {
        using var started = await client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), new StringContent($$"""{"gateKey":"{{gateKey}}","value":1}""", System.Text.Encoding.UTF8, "application/json")).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        using var response = await client.GetAsync(new Uri($"/api/jobs/{id}?wait=60", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
