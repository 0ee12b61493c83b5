using System.Net;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Api;

/// <summary>GET /api/jobs/{id}/history: a job's attempts and log lines, problem details for every error.</summary>
public sealed class JobHistoryApiTests
{
    [Fact]
    public async Task History_OfAFinishedJob_HasItsAttemptAndItsLogLines()
    {
        await using var api = await StartAsync();
        api.Gates["g"].Release();
        using var started = await api.PostAsync("logging", """{"gateKey":"g"}""");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/{id}/history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var history = await TestApi.ReadJsonAsync(response);
        Assert.Equal(id, history.GetProperty("id").GetGuid());
        var attempt = Assert.Single(history.GetProperty("attempts").EnumerateArray());
        Assert.Equal(1, attempt.GetProperty("number").GetInt32());
        Assert.Equal("Succeeded", attempt.GetProperty("outcome").GetString());
        Assert.Equal(Environment.MachineName, attempt.GetProperty("node").GetString());
        Assert.Equal(attempt.GetProperty("startedAt").GetDateTimeOffset(), attempt.GetProperty("endedAt").GetDateTimeOffset());
        Assert.Equal(
            [("Information", "Waiting at gate g.", 1), ("Warning", "Passed gate g.", 1)],
            history.GetProperty("log").EnumerateArray().Select(line => (line.GetProperty("level").GetString(), line.GetProperty("message").GetString(), line.GetProperty("attempt").GetInt32())));
        Assert.Equal(0, history.GetProperty("removedLogLines").GetInt32());
    }

    [Fact]
    public async Task History_OfAFailedJob_CarriesTheAttemptsProblem_WithoutItsSecret()
    {
        await using var api = await StartAsync();
        using var started = await api.PostAsync("failing", """{"code":1}""");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/{id}/history");

        var attempt = Assert.Single((await TestApi.ReadJsonAsync(response)).GetProperty("attempts").EnumerateArray());
        Assert.Equal("Failed", attempt.GetProperty("outcome").GetString());
        Assert.Equal("The job failed.", attempt.GetProperty("error").GetProperty("title").GetString());
        Assert.DoesNotContain(FailingJob.SecretMessage, attempt.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_OfARunningJob_ShowsItsOpenAttempt()
    {
        await using var api = await StartAsync();
        var id = await api.StartGatedAsync("g");
        await api.Gates["g"].Started;

        using var response = await api.GetAsync($"/api/jobs/{id}/history");

        var attempt = Assert.Single((await TestApi.ReadJsonAsync(response)).GetProperty("attempts").EnumerateArray());
        Assert.Equal(1, attempt.GetProperty("number").GetInt32());
        Assert.False(attempt.TryGetProperty("outcome", out var outcome) && outcome.ValueKind != System.Text.Json.JsonValueKind.Null);
        api.Gates["g"].Release();
    }

    [Theory]
    [InlineData("/api/jobs/00000000-0000-4000-8000-000000000000/history", HttpStatusCode.NotFound)]
    [InlineData("/api/jobs/not-a-guid/history", HttpStatusCode.BadRequest)]
    public async Task History_OfAnUnknownJobOrABadId_IsAProblem(string url, HttpStatusCode status)
    {
        await using var api = await StartAsync();

        using var response = await api.GetAsync(url);

        Assert.Equal(status, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
    }

    private static Task<TestApi> StartAsync() =>
        TestApi.StartAsync(addJobs: longJobs => longJobs.AddJob<LoggingJob, GatedRequest, GatedResult>("logging"));

    /// <summary>Logs a line before and after its gate.</summary>
    private sealed class LoggingJob(JobGates gates) : IJobHandler<GatedRequest, GatedResult>
    {
        public async Task<GatedResult> ExecuteAsync(GatedRequest request, JobContext context, CancellationToken cancellationToken)
        {
            context.Log(LogLevel.Information, $"Waiting at gate {request.GateKey}.");
            await gates[request.GateKey].PassAsync(cancellationToken);
            context.Log(LogLevel.Warning, $"Passed gate {request.GateKey}.");
            return new GatedResult { GateKey = request.GateKey, DoubledValue = 0, JobId = context.JobId };
        }
    }
}
