using System.Text.Json;
using LongJobs.Server.OpenApi.Tests.Support;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.Processors;

public sealed class JobKindExtensionsDocumentProcessorTests
{
    public static TheoryData<string, string> Kinds => new()
    {
        { "thumbnail", "Thumbnail" },
        { "alpha", "Alpha" },
        { "beta", "Beta" },
        { "snapshot", "Snapshot" },
        { "echo", "Echo" },
        { "count-primes", "CountPrimes" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StartAndTypedRead_OfEveryKind_CarryTheKindsName(string kind, string operationName)
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.Equal(kind, Extension(Operation(document, $"Start{operationName}Job"), OpenApiExtensionNames.Kind));
        Assert.Equal(kind, Extension(Operation(document, $"Start{operationName}Jobs"), OpenApiExtensionNames.Kind));
        Assert.Equal(kind, Extension(Operation(document, $"Get{operationName}Job"), OpenApiExtensionNames.Kind));
        Assert.Null(Extension(Operation(document, $"Get{operationName}Job"), OpenApiExtensionNames.Result));
        Assert.Null(Extension(Operation(document, $"Start{operationName}Jobs"), OpenApiExtensionNames.Result));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task StartOperation_OfEveryKind_NamesItsBatchStart_WhichTakesAnArrayOfItemsOfTheKindsRequest(string kind, string operationName)
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.Equal($"Start{operationName}Jobs", Extension(Operation(document, $"Start{operationName}Job"), OpenApiExtensionNames.Batch));
        var batchPath = document.GetProperty("paths").GetProperty($"/api/jobs/{kind}/batch").GetProperty("post");
        Assert.Equal($"Start{operationName}Jobs", batchPath.GetProperty("operationId").GetString());
        Assert.Equal("items", batchPath.GetProperty("requestBody").GetProperty("x-name").GetString());
        var body = batchPath.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("array", body.GetProperty("type").GetString());
        var item = Schema(document, body.GetProperty("items").GetProperty("$ref").GetString()!.Split('/')[^1]);
        var request = Operation(document, $"Start{operationName}Job").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal(request.GetRawText(), SingleReference(item.GetProperty("properties").GetProperty("request")).GetRawText());
        Assert.Contains("request", item.GetProperty("required").EnumerateArray().Select(name => name.GetString()));
        Assert.Equal("#/components/schemas/JobBatchResult", batchPath.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());

        static JsonElement SingleReference(JsonElement property) =>
            property.TryGetProperty("allOf", out var allOf) ? allOf[0] : property;
    }

    [Fact]
    public async Task OnlyTheKindsStartBatchStartAndTypedReadOperations_CarryAKind()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var marked = Operations(document)
            .Where(operation => operation.TryGetProperty(OpenApiExtensionNames.Kind, out _))
            .Select(operation => operation.GetProperty("operationId").GetString());
        Assert.Equal(Kinds.Count * 3, marked.Count());
        Assert.All(marked, id => Assert.Matches("^(Start.+Jobs?|Get.+Job)$", id));
    }

    [Theory]
    [InlineData("Thumbnail", "PageOfThumbnail")]
    [InlineData("CountPrimes", "PrimesResult")]
    public async Task StartOperation_NamesTheResultsSchema_AsItsKeyInComponents(string operationName, string schemaName)
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.Equal(schemaName, Extension(Operation(document, $"Start{operationName}Job"), OpenApiExtensionNames.Result));
        Assert.Equal(JsonValueKind.Object, Schema(document, schemaName).ValueKind);
    }

    [Theory]
    [InlineData("Thumbnail")]
    [InlineData("Alpha")]
    [InlineData("Beta")]
    [InlineData("Snapshot")]
    [InlineData("CountPrimes")]
    public async Task StartOperation_NamesTheSchemaOfTheResultTheTypedReadReturns(string operationName)
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        Assert.Equal(ResultSchemaOfTypedRead(document, operationName), Extension(Operation(document, $"Start{operationName}Job"), OpenApiExtensionNames.Result));
    }

    [Fact]
    public async Task ResultTypesOfOneName_EachKindNamesItsOwnSchema()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var alpha = Extension(Operation(document, "StartAlphaJob"), OpenApiExtensionNames.Result)!;
        var beta = Extension(Operation(document, "StartBetaJob"), OpenApiExtensionNames.Result)!;
        Assert.NotEqual(alpha, beta);
        Assert.True(Schema(document, alpha).GetProperty("properties").TryGetProperty("alphaValue", out _), $"{alpha} is Alpha.Result");
        Assert.True(Schema(document, beta).GetProperty("properties").TryGetProperty("betaValue", out _), $"{beta} is Beta.Result");
    }

    [Fact]
    public async Task ResultNamedLikeTheJobsApisJobState_TakesAnotherName_AndJobStateStaysTheApis()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var snapshot = Extension(Operation(document, "StartSnapshotJob"), OpenApiExtensionNames.Result)!;
        Assert.NotEqual("JobState", snapshot);
        Assert.True(Schema(document, snapshot).GetProperty("properties").TryGetProperty("depth", out _), $"{snapshot} is the app's JobState");

        // The jobs API's JobState derives from JobInfo; GetJob and CancelJob answer with it under its own name.
        Assert.Equal("#/components/schemas/JobInfo", Schema(document, "JobState").GetProperty("allOf")[0].GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/JobState", ResponseSchemaReference(Operation(document, "GetJob"), "200"));
    }

    [Fact]
    public async Task StartOperation_OfKindWithStringResult_HasNoResultSchemaName()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var start = Operation(document, "StartEchoJob");
        Assert.Equal("echo", Extension(start, OpenApiExtensionNames.Kind));
        Assert.Null(Extension(start, OpenApiExtensionNames.Result));
    }

    /// <summary>The schema name of <c>result</c> in the 200 answer of <c>Get{Kind}Job</c>: <c>JobStateOfX</c>'s own part.</summary>
    private static string ResultSchemaOfTypedRead(JsonElement document, string operationName)
    {
        var state = ResponseSchemaReference(Operation(document, $"Get{operationName}Job"), "200")!.Split('/')[^1];
        var result = Schema(document, state).GetProperty("allOf")[1].GetProperty("properties").GetProperty("result");
        var reference = result.TryGetProperty("$ref", out var direct) ? direct : result.GetProperty("allOf")[0].GetProperty("$ref");
        return reference.GetString()!.Split('/')[^1];
    }

    private static string? ResponseSchemaReference(JsonElement operation, string status) =>
        operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString();
}
