using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>Every kind of bad input is a 4xx problem, never a 5xx, and leaves the server working (the corpus: <see cref="HostileRequests"/>).</summary>
public sealed class BadInputTests
{
    public static TheoryData<string> IgnoredHeaderNames => [.. HostileRequests.IgnoredHeaders.Keys];

    public static TheoryData<string> CaseNames => [.. HostileRequests.Cases.Keys];

    [Fact]
    public void TheCorpus_HasAtLeastFiftyHostileOrMalformedRequests() => Assert.True(HostileRequests.Cases.Count >= 50, $"{HostileRequests.Cases.Count} cases.");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Request_WithBadInput_Returns4xxProblemDetails(string name)
    {
        await using var api = await StartAsync();

        var request = HostileRequests.Cases[name];

        Assert.Null(await HostileRequests.CheckAsync(api.Client, name, request));
        Assert.Equal(request.StartsAJob ? 1 : 0, api.Store.Count);
    }

    [Theory]
    [MemberData(nameof(IgnoredHeaderNames))]
    public async Task Request_WithAHostileIfNoneMatchOrPrefer_IsAnsweredAsWithoutIt(string name)
    {
        await using var api = await StartAsync();
        api.Gates["finished"].Release();
        var id = await api.StartGatedAsync("finished");
        await api.WaitUntilFinishedAsync(id);

        Assert.Null(await HostileRequests.CheckIgnoredHeaderAsync(api.Client, name, id));
    }

    [Fact]
    public async Task FailedValidation_NamesEachFieldInCamelCase()
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"","value":-1}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(field => field.Name).Order().ToList();
        Assert.Equal(["gateKey", "value"], fields);
        Assert.All(problem.GetProperty("errors").EnumerateObject(), field => Assert.NotEmpty(field.Value.EnumerateArray()));
    }

    [Fact]
    public async Task NumberSentAsAString_Returns400ValidationProblemForThatField()
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"a","value":"5"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty("$.value", out _), problem.ToString());
        Assert.Equal(0, api.Store.Count);
    }

    [Theory]
    [InlineData("""{"gateKey":"a","value":"five"}""", null)]
    [InlineData("""{"gateKey":"a","value":true}""", null)]
    [InlineData("""{"value":1}""", "gateKey")]
    [InlineData("""{gateKey: a}""", null)]
    [InlineData("""{"gateKey":"a",""", null)]
    public async Task JsonError_Returns400WithoutDotNetTypeNames(string json, string? namedProperty)
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(GatedRequest), body, StringComparison.Ordinal);
        Assert.DoesNotContain("LongJobs.", body, StringComparison.Ordinal);
        if (namedProperty is not null)
        {
            Assert.Contains(namedProperty, body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"gateKey":"a","value":"five"}""", "$.value", "The value has the wrong type or is out of range.")]
    [InlineData("""[1]""", "$", "The value has the wrong type or is out of range.")]
    [InlineData("""{"value":1}""", "$", "Required properties are missing: 'gateKey'.")]
    [InlineData("""{"value":"five"}""", "$.value", "The value has the wrong type or is out of range.")]
    [InlineData("""{"gateKey":"a","value":1,"value":2}""", null, "The property 'value' appears more than once in one object.")]
    [InlineData("""{"gateKey":"a","GateKey":"b"}""", null, "The property 'GateKey' appears more than once in one object.")]
    [InlineData("""{gateKey: a}""", null, "The body is not well-formed JSON (line 1, byte 2).")]
    [InlineData(null, null, "The JSON is nested deeper than 64 levels (line 1, byte ")]
    public async Task JsonError_SaysWhatIsWrong_AndWhere(string? json, string? key, string message)
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", json ?? HostileRequests.NestedJson);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.Single((await TestApi.ReadProblemAsync(response)).GetProperty("errors").EnumerateObject());
        if (key is not null)
        {
            Assert.Equal(key, error.Name);
        }

        Assert.StartsWith(message, Assert.Single(error.Value.EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterEveryKindOfBadInput_ANormalJobStillSucceeds()
    {
        await using var api = await StartAsync();
        foreach (var (name, request) in HostileRequests.Cases)
        {
            Assert.Null(await HostileRequests.CheckAsync(api.Client, name, request));
        }

        HostileRequests.ReleaseGatesOfValidCases(api.Gates);
        api.Gates["fine"].Release();
        var id = await api.StartGatedAsync("fine", value: 50);
        var state = await api.WaitUntilFinishedAsync(id);

        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(100, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(1 + HostileRequests.Cases.Values.Count(request => request.StartsAJob), api.Store.Count);
    }

    /// <summary>The API as the corpus expects it: webhooks and email on, so that their headers are checked by their own rules.</summary>
    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        HostileRequests.Configure,
        addJobs: HostileRequests.AddNotifications,
        addServices: HostileRequests.AddServices);
}
