using LongJobs.Server.OpenApi.Processors;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using NSwag.Generation.AspNetCore;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.DependencyInjection;

public sealed class LongJobsOpenApiDocumentSettingsExtensionsTests
{
    [Fact]
    public async Task AddLongJobsProcessors_InTheAppsOwnNSwagDocument_MarksTheKinds()
    {
        await using var app = await StartAsync(
            addServices: services =>
            {
                services.AddEndpointsApiExplorer();
                services.AddOpenApiDocument((document, provider) =>
                {
                    document.DocumentName = "jobs";
                    document.AddLongJobsProcessors(provider);
                });
            },
            configureApp: web => web.UseOpenApi());
        var document = await app.ReadDocumentAsync("/swagger/jobs/swagger.json");

        Assert.Equal("thumbnail", Extension(Operation(document, "StartThumbnailJob"), OpenApiExtensionNames.Kind));
        Assert.Equal("PageOfThumbnail", Extension(Operation(document, "StartThumbnailJob"), OpenApiExtensionNames.Result));
    }

    [Fact]
    public void AddLongJobsProcessors_WithoutAddLongJobs_ThrowsNamingIt()
    {
        using var services = new ServiceCollection().BuildServiceProvider();

        var exception = Assert.Throws<InvalidOperationException>(() => new AspNetCoreOpenApiDocumentGeneratorSettings().AddLongJobsProcessors(services));
        Assert.Contains("AddLongJobs()", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddLongJobsProcessors_Twice_AddsThemOnce()
    {
        var services = new ServiceCollection();
        services.AddLongJobs();
        using var provider = services.BuildServiceProvider();
        var settings = new AspNetCoreOpenApiDocumentGeneratorSettings();

        settings.AddLongJobsProcessors(provider).AddLongJobsProcessors(provider);

        Assert.Single(settings.DocumentProcessors.OfType<JobKindExtensionsDocumentProcessor>());
        Assert.Single(settings.OperationProcessors.OfType<EndpointMetadataOperationProcessor>());
    }
}
