using System.Net;
using System.Text.Json;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>GET /api/jobs/{id} and the typed GET /api/jobs/{kind}/{id}.</summary>
public sealed class GetJobTests
{
    [Fact]
    public async Task Get_WhileRunning_ReturnsStateWithProgressAndRetryAfter()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        using var response = await api.GetAsync($"/api/jobs/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal(id, state.GetProperty("id").GetGuid());
        Assert.Equal("gated", state.GetProperty("kind").GetString());
        Assert.Equal("Running", state.GetProperty("status").GetString());
        Assert.Equal(0.5, state.GetProperty("progress").GetDouble());
        Assert.Equal(GatedJob.ProgressMessage, state.GetProperty("progressMessage").GetString());
        Assert.Equal(JsonValueKind.String, state.GetProperty("startedAt").ValueKind);
        Assert.False(state.TryGetProperty("result", out var result) && result.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task Get_WhenSucceeded_ReturnsTheResultJsonAndNoRetryAfter()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a", value: 10);
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(TestApi.RetryAfter(response));
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(1, state.GetProperty("progress").GetDouble());
        Assert.Equal(JsonValueKind.String, state.GetProperty("completedAt").ValueKind);
        var result = state.GetProperty("result");
        Assert.Equal(20, result.GetProperty("doubledValue").GetInt32());
        Assert.Equal("a", result.GetProperty("gateKey").GetString());
        Assert.Equal(id, result.GetProperty("jobId").GetGuid());
    }

    [Fact]
    public async Task Get_WhenFailedInProduction_ReturnsProblemWithoutExceptionMessageOrStackTrace()
    {
        await using var api = await TestApi.StartAsync();
        using var started = await api.PostAsync("failing", """{"code":1}""");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/{id}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(body);
        var state = document.RootElement;
        Assert.Equal("Failed", state.GetProperty("status").GetString());
        var error = state.GetProperty("error");
        Assert.Equal("urn:longjobs:problem:job-failed", error.GetProperty("type").GetString());
        Assert.Equal("The job failed.", error.GetProperty("title").GetString());
        Assert.False(error.TryGetProperty("exceptionType", out _));
        Assert.DoesNotContain(FailingJob.SecretMessage, body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WhenFailedWithExceptionDetailsIncluded_ShowsTypeAndMessageButNoStackTrace()
    {
        await using var api = await TestApi.StartAsync(options => options.IncludeExceptionDetails = true);
        using var started = await api.PostAsync("failing", "{}");
        var id = (await TestApi.ReadJsonAsync(started)).GetProperty("id").GetGuid();

        var state = await api.WaitUntilFinishedAsync(id);

        var error = state.GetProperty("error");
        Assert.Equal(FailingJob.SecretMessage, error.GetProperty("detail").GetString());
        Assert.Equal(typeof(InvalidOperationException).FullName, error.GetProperty("exceptionType").GetString());
        Assert.DoesNotContain(".cs:line", state.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTyped_WhenSucceeded_ReturnsTheTypedResult()
    {
        await using var api = await TestApi.StartAsync();
        api.Gates["a"].Release();
        var id = await api.StartGatedAsync("a", value: 3);
        await api.WaitUntilFinishedAsync(id);

        using var response = await api.GetAsync($"/api/jobs/gated/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await TestApi.ReadJsonAsync(response);
        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(6, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(id, state.GetProperty("result").GetProperty("jobId").GetGuid());
    }

    [Fact]
    public async Task GetTyped_WithAnotherKindsRoute_Returns404Problem()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");

        using var response = await api.GetAsync($"/api/jobs/failing/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Contains("gated", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTyped_WithWaitOnAnotherKindsRoute_Returns404AtOnceWithoutRetryAfterOrPreferenceApplied()
    {
        await using var api = await TestApi.StartAsync();
        var id = await api.StartGatedAsync("a");
        await api.Gates["a"].Started;

        // No fake time is advanced: only an answer that does not wait can arrive.
        using var response = await api.GetAsync($"/api/jobs/failing/{id}?wait=30");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.Null(TestApi.RetryAfter(response));
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Theory]
    [InlineData("/api/jobs/{0}")]
    [InlineData("/api/jobs/gated/{0}")]
    public async Task Get_UnknownId_Returns404Problem(string route)
    {
        await using var api = await TestApi.StartAsync();
        var id = Guid.NewGuid();

        using var response = await api.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, id));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Contains(id.ToString(), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
