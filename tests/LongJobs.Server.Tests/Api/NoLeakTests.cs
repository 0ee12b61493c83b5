using System.Diagnostics;
using System.Net;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Api;

/// <summary>Outside Development an unexpected error answers problem details without internals, with a trace ID the log has too.</summary>
public sealed class NoLeakTests
{
    private const string Secret = "connection string with a password";

    [Fact]
    public async Task AnUnexpectedException_Is500ProblemDetails_WithoutInternals_WithTheTraceIdOfItsLogEntry()
    {
        var logs = new RecordedLogs();
        using var requests = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(requests);
        await using var api = await TestApi.StartAsync(
            logs: logs,
            configureApp: app => app.MapGet("/boom", (HttpContext _) => throw new InvalidOperationException(Secret)));

        using var response = await api.GetAsync("/boom");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        // The answer's traceId is the request's W3C trace context; the error's log entry is in the request's scope, whose TraceId is its trace.
        var traceParent = problem.GetProperty("traceId").GetString()!.Split('-');
        var logged = Assert.Single(logs.Entries, entry => entry.Level == LogLevel.Error && entry.Exception?.Message == Secret);
        Assert.Equal(traceParent[1], logged.Scopes?.GetValueOrDefault("TraceId")?.ToString());
        Assert.Equal(traceParent[2], logged.Scopes?.GetValueOrDefault("SpanId")?.ToString());
    }
}
