using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>POST /api/jobs/{kind}/batch on two nodes sharing one database: idempotency keys hold per item across nodes.</summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class BulkStartTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const int KeysPerBatch = 200;

    private readonly TestNodes _nodes = new(server);

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task ConcurrentBatchesOnTwoNodes_WithOverlappingKeys_StartOneJobPerKey_AndAnswerEveryCallerWithIt()
    {
        var nodeA = await StartNodeAsync();
        var nodeB = await StartNodeAsync();

        // Four batches at once, two per node, each overlapping the others by half its keys, in opposite orders.
        var batches = new[]
        {
            (Node: nodeA, Keys: Keys(0, KeysPerBatch)),
            (Node: nodeB, Keys: Keys(KeysPerBatch / 2, KeysPerBatch).Reverse().ToArray()),
            (Node: nodeA, Keys: Keys(KeysPerBatch, KeysPerBatch).Reverse().ToArray()),
            (Node: nodeB, Keys: Keys(KeysPerBatch / 2, KeysPerBatch)),
        };
        var answers = await Task.WhenAll(batches.Select(batch => PostBatchAsync(batch.Node, batch.Keys))).WaitAsync(SafetyTimeout.Value);

        var jobByKey = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (batch, answer) in batches.Zip(answers))
        {
            Assert.Equal(batch.Keys.Length, answer.Length);
            foreach (var (key, item) in batch.Keys.Zip(answer))
            {
                Assert.Equal(202, item.GetProperty("status").GetInt32());
                var id = item.GetProperty("job").GetProperty("id").GetGuid();
                Assert.Equal(id, jobByKey.TryAdd(key, id) ? id : jobByKey[key]);
            }
        }

        var distinctKeys = KeysPerBatch * 2;
        Assert.Equal(distinctKeys, jobByKey.Count);
        Assert.Equal(distinctKeys, jobByKey.Values.Distinct().Count());
        await using var connection = new NpgsqlConnection(_nodes.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("select count(*), count(distinct idempotency_key) from longjobs.jobs", connection);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(distinctKeys, reader.GetInt64(0));
        Assert.Equal(distinctKeys, reader.GetInt64(1));
    }

    public Task DisposeAsync() => _nodes.StopAllAsync();

    private static string[] Keys(int first, int count) => [.. Enumerable.Range(first, count).Select(index => $"key-{index}")];

    private static async Task<JsonElement[]> PostBatchAsync(HttpClient node, string[] keys)
    {
        var items = keys.Select(key => new { request = new IdleRequest { Name = key }, idempotencyKey = key });
        using var response = await node.PostAsJsonAsync("/api/jobs/idle/batch", items);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray()];
    }

    private async Task<HttpClient> StartNodeAsync()
    {
        var app = await _nodes.StartAsync(
            longJobs => longJobs.AddJob<IdleJob, IdleRequest, IdleResult>("idle"),
            jobs: options => options.MaxConcurrency = 1);
        return app.GetTestClient();
    }

    /// <summary>A job that waits until it is cancelled: the test is about starting jobs, not running them.</summary>
    public sealed class IdleJob : IJobHandler<IdleRequest, IdleResult>
    {
        public async Task<IdleResult> ExecuteAsync(IdleRequest request, JobContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new IdleResult();
        }
    }

    public sealed record IdleRequest
    {
        public required string Name { get; init; }
    }

    public sealed record IdleResult;
}
