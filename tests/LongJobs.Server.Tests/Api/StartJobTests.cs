using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;

namespace LongJobs.Server.Tests.Api;

/// <summary>POST /api/jobs/{kind}.</summary>
public sealed class StartJobTests
{
    [Fact]
    public async Task Start_WithValidRequest_Returns202WithLocationRetryAfterAndTheJob()
    {
        await using var api = await TestApi.StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"a","value":4}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await TestApi.ReadJsonAsync(response);
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(TimeSpan.FromSeconds(1), TestApi.RetryAfter(response));
        Assert.Equal("gated", body.GetProperty("kind").GetString());
        Assert.Contains(body.GetProperty("status").GetString(), new[] { "Queued", "Running" });
        Assert.Equal($"/api/jobs/{id}", body.GetProperty("statusUrl").GetString());
        Assert.False(body.GetProperty("cancellationRequested").GetBoolean());
        Assert.Equal(JsonValueKind.String, body.GetProperty("createdAt").ValueKind);

        api.Gates["a"].Release();
        var finished = await api.WaitUntilFinishedAsync(id);
        Assert.Equal("Succeeded", finished.GetProperty("status").GetString());
        Assert.Equal(8, finished.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Start_UnderAPathBase_PutsThePathBaseInLocationAndStatusUrl()
    {
        await using var api = await TestApi.StartAsync(configureApp: app =>
        {
            app.UsePathBase("/base");
            app.UseRouting();
        });

        using var response = await api.Client.PostAsync(new Uri("/base/api/jobs/gated", UriKind.Relative), TestApi.Json("""{"gateKey":"a"}""")).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
        Assert.Equal($"/base/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal($"/base/api/jobs/{id}", (await TestApi.ReadJsonAsync(response)).GetProperty("statusUrl").GetString());
    }

    [Fact]
    public async Task Start_WithSuggestedPollingInterval_SendsItAsRetryAfter()
    {
        await using var api = await TestApi.StartAsync(options => options.SuggestedPollingInterval = TimeSpan.FromSeconds(4));

        using var response = await api.PostAsync("gated", """{"gateKey":"a"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), TestApi.RetryAfter(response));
    }

    [Fact]
    public async Task Start_WithJsonContentTypeAndCharset_IsAccepted()
    {
        await using var api = await TestApi.StartAsync();
        using var content = new StringContent("""{"gateKey":"a"}""", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

        using var response = await api.Client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), content).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Start_WithABodyOfUnknownLength_IsAccepted()
    {
        // Chunked transfer encoding: no Content-Length header, the server learns the size by reading.
        await using var api = await TestApi.StartAsync();
        using var content = new UnknownLengthContent(Encoding.UTF8.GetBytes("""{"gateKey":"chunked","value":2}"""));

        using var response = await api.Client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), content).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        api.Gates["chunked"].Release();
        var finished = await api.WaitUntilFinishedAsync((await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid());
        Assert.Equal(4, finished.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task Start_WithABodyOfUnknownLengthOverTheLimit_Returns413Problem()
    {
        await using var api = await TestApi.StartAsync(options => options.MaxRequestBodySize = 100);
        var json = $$"""{"gateKey":"a","padding":"{{new string('x', 500)}}"}""";
        using var content = new UnknownLengthContent(Encoding.UTF8.GetBytes(json));

        using var response = await api.Client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), content).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
    }

    /// <summary>A JSON body whose length the client does not announce, as with chunked transfer encoding.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnknownLengthContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
