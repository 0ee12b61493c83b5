using System.Net;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{kind} with an Idempotency-Key header.</summary>
public sealed class IdempotencyKeyTests
{
    [Theory]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("\"quoted-key\"", "quoted-key")]
    public async Task Start_RepeatedWithTheSameKeyAndBody_AnswersWithTheSameJobAndStartsOne(string firstHeader, string repeatedHeader)
    {
        await using var api = await TestApi.StartAsync();

        using var first = await PostAsync(api, """{"gateKey":"a","value":2}""", firstHeader);
        using var repeated = await PostAsync(api, """{ "value": 2, "gateKey": "a" }""", repeatedHeader);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, repeated.StatusCode);
        var id = (await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid();
        Assert.Equal(id, (await TestApi.ReadJsonAsync(repeated)).GetProperty("id").GetGuid());
        Assert.Equal($"/api/jobs/{id}", repeated.Headers.Location?.OriginalString);
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithTheSameKeyAndAnotherBody_Returns422ProblemAndStartsNothing()
    {
        await using var api = await TestApi.StartAsync();
        using var first = await PostAsync(api, """{"gateKey":"a","value":2}""", "key-1");

        using var other = await PostAsync(api, """{"gateKey":"a","value":3}""", "key-1");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Idempotency-Key", (await TestApi.ReadJsonAsync(other)).GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithDifferentKeys_StartsTwoJobs()
    {
        await using var api = await TestApi.StartAsync();

        using var first = await PostAsync(api, """{"gateKey":"a"}""", "key-1");
        using var second = await PostAsync(api, """{"gateKey":"a"}""", "key-2");

        Assert.NotEqual(
            (await TestApi.ReadJsonAsync(first)).GetProperty("id").GetGuid(),
            (await TestApi.ReadJsonAsync(second)).GetProperty("id").GetGuid());
        Assert.Equal(2, api.Store.Count);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("has space")]
    [InlineData("tab\tkey")]
    [InlineData("caf\u00e9")]
    public async Task Start_WithAnInvalidKey_Returns400NamingTheHeader(string key)
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostAsync(api, """{"gateKey":"a"}""", key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApi.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        Assert.Equal(0, api.Store.Count);
    }

    [Fact]
    public async Task Start_WithAKeyOver255Characters_Returns400()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await PostAsync(api, """{"gateKey":"a"}""", new string('k', 256));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Start_WithTwoKeyHeaders_Returns400()
    {
        await using var api = await TestApi.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/gated", UriKind.Relative)) { Content = TestApi.Json("""{"gateKey":"a"}""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", ["one", "two"]);

        using var response = await api.Client.SendAsync(request).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static Task<HttpResponseMessage> PostAsync(TestApi api, string json, string idempotencyKey) =>
        api.PostAsync("gated", json, ("Idempotency-Key", idempotencyKey));
}
