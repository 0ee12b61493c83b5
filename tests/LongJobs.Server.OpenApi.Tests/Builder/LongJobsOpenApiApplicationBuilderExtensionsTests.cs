using Microsoft.AspNetCore.Builder;
using NSwag;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.Builder;

public sealed class LongJobsOpenApiApplicationBuilderExtensionsTests
{
    [Fact]
    public async Task ServedDocument_HasNoServers_AndEqualsTheOneTheBuildWrites()
    {
        await using var app = await StartAsync();

        var served = await app.ReadDocumentTextAsync();
        var generated = await app.GenerateDocumentJsonAsync();

        Assert.False(Parse(served).TryGetProperty("servers", out _));
        Assert.Equal(generated, served);
    }

    [Fact]
    public async Task NSwagsUseOpenApi_AddsTheRequestsHost_WhichUseLongJobsOpenApiLeavesOut()
    {
        await using var app = await StartAsync(configureApp: web => web.UseOpenApi());
        var document = await app.ReadDocumentAsync();

        Assert.Equal("http://localhost", Assert.Single(document.GetProperty("servers").EnumerateArray()).GetProperty("url").GetString());
    }

    [Fact]
    public async Task AppsPostProcess_RunsAfterTheServersAreRemoved()
    {
        await using var app = await StartAsync(configureApp: web => web.UseLongJobsOpenApi(settings =>
            settings.PostProcess = (document, _) => document.Servers.Add(new OpenApiServer { Url = "https://jobs.example" })));
        var document = await app.ReadDocumentAsync();

        Assert.Equal("https://jobs.example", Assert.Single(document.GetProperty("servers").EnumerateArray()).GetProperty("url").GetString());
    }

    [Fact]
    public async Task UseLongJobsOpenApi_WithoutADocument_ThrowsNamingAddLongJobsOpenApiDocument()
    {
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartAsync(addServices: _ => { }, configureApp: web => web.UseLongJobsOpenApi()));

        Assert.Contains("AddLongJobsOpenApiDocument()", exception.Message, StringComparison.Ordinal);
    }
}
