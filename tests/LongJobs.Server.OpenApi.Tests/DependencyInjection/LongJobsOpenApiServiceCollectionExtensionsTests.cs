using Microsoft.Extensions.DependencyInjection;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.DependencyInjection;

public sealed class LongJobsOpenApiServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddLongJobsOpenApiDocument_SetsNoLicenceServersOrSecurity_TheAppDidNotAskFor()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.False(document.GetProperty("info").TryGetProperty("license", out _));
        Assert.False(document.TryGetProperty("servers", out _));
        Assert.False(document.TryGetProperty("security", out _));
    }

    [Fact]
    public async Task AddLongJobsOpenApiDocument_KeepsTheAppsSettings()
    {
        await using var app = await StartAsync(addServices: services => services.AddLongJobsOpenApiDocument(document =>
        {
            document.Title = "Thumbs";
            document.Version = "2.1.0";
        }));
        var document = await app.ReadDocumentAsync();

        Assert.Equal("Thumbs", document.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal("2.1.0", document.GetProperty("info").GetProperty("version").GetString());
        Assert.Equal("3.0.0", document.GetProperty("openapi").GetString());
    }
}
