using LongJobs.Server.OpenApi.Processors;
using Microsoft.Extensions.DependencyInjection;
using NSwag;
using NSwag.Generation.Processors;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.Processors;

public sealed class JobsTagDocumentProcessorTests
{
    [Fact]
    public async Task JobsTag_IsDeclaredWithADescription()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var tag = Assert.Single(document.GetProperty("tags").EnumerateArray());
        Assert.Equal("Jobs", tag.GetProperty("name").GetString());
        Assert.Equal(JobsTagDocumentProcessor.TagDescription, tag.GetProperty("description").GetString());
    }

    [Fact]
    public async Task JobsTag_TheAppDeclares_IsKept()
    {
        await using var app = await StartAsync(addServices: services => services.AddLongJobsOpenApiDocument(settings =>
            settings.DocumentProcessors.Add(new ActionDocumentProcessor(context =>
                context.Document.Tags.Add(new OpenApiTag { Name = "Jobs", Description = "The app's own words." })))));
        var document = await app.ReadDocumentAsync();

        var tag = Assert.Single(document.GetProperty("tags").EnumerateArray());
        Assert.Equal("The app's own words.", tag.GetProperty("description").GetString());
    }
}
