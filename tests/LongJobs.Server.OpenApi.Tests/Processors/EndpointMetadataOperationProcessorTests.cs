using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.Processors;

public sealed class EndpointMetadataOperationProcessorTests
{
    [Fact]
    public async Task Operation_CarriesItsEndpointsSummaryAndDescription()
    {
        await using var app = await StartAsync(configureApp: MapGreeting);
        var document = await app.ReadDocumentAsync();

        var greet = Operation(document, "Greet");
        Assert.Equal("Says hello.", greet.GetProperty("summary").GetString());
        Assert.Equal("Answers with a greeting for the name given.", greet.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Response_CarriesItsDeclaredDescription_OrElseTheReasonPhrase()
    {
        await using var app = await StartAsync(configureApp: MapGreeting);
        var document = await app.ReadDocumentAsync();

        var responses = Operation(document, "Greet").GetProperty("responses");
        Assert.Equal("The greeting.", responses.GetProperty("200").GetProperty("description").GetString());
        Assert.Equal("Not Found", responses.GetProperty("404").GetProperty("description").GetString());
    }

    [Fact]
    public async Task EveryOperationOfTheJobsApi_HasASummary_AndDescribedResponses()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.All(Operations(document), operation =>
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), operation.GetProperty("operationId").GetString());
            Assert.All(operation.GetProperty("responses").EnumerateObject(), response =>
                Assert.False(string.IsNullOrWhiteSpace(response.Value.GetProperty("description").GetString()), response.Name));
        });
    }

    [Fact]
    public async Task AKindsOperations_NameTheKind_OverTheXmlCommentsTheirHandlerSharesWithEveryKind()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.Equal("Starts a 'thumbnail' job.", Operation(document, "StartThumbnailJob").GetProperty("summary").GetString());
        Assert.Equal("Starts a 'count-primes' job.", Operation(document, "StartCountPrimesJob").GetProperty("summary").GetString());
        Assert.StartsWith("Gets a 'thumbnail' job", Operation(document, "GetThumbnailJob").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    private static void MapGreeting(WebApplication app)
    {
        app.UseLongJobsOpenApi();
        app.MapGet("/greetings/{name}", [ProducesResponseType<string>(StatusCodes.Status200OK, Description = "The greeting.")] (string name) =>
                name.Length > 0 ? Results.Ok($"Hello, {name}.") : Results.NotFound())
            .WithName("Greet")
            .WithSummary("Says hello.")
            .WithDescription("Answers with a greeting for the name given.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
