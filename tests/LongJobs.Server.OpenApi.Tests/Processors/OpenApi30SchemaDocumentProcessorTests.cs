using System.Text.Json;
using LongJobs.Server.OpenApi.Tests.Support;
using static LongJobs.Server.OpenApi.Tests.Support.OpenApiTestApp;

namespace LongJobs.Server.OpenApi.Tests.Processors;

public sealed class OpenApi30SchemaDocumentProcessorTests
{
    [Fact]
    public async Task Document_HasNoNullableWithoutType_NorCompositionOfOneSchemaAlone()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var problems = new List<string>();
        Walk(document, "#", problems);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task NullableReferenceToAnObject_IsOneOfTheReferenceAndNull()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        AssertNullableReference(Schema(document, "PrimesResult").GetProperty("properties").GetProperty("chart"), "Thumbnail", "object");
        AssertNullableReference(Schema(document, "JobInfo").GetProperty("properties").GetProperty("error"), "ProblemDetails", "object");
    }

    [Fact]
    public async Task NullableReferenceToAnEnum_IsOneOfTheReferenceAndNullOfTheEnumsType()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        AssertNullableReference(Schema(document, "PrimesResult").GetProperty("properties").GetProperty("largestParity"), "Parity", "integer");
    }

    [Fact]
    public async Task ReferenceWithADescription_IsAllOfTheReference()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var status = Schema(document, "JobInfo").GetProperty("properties").GetProperty("status");
        Assert.Equal("Where the job is in its lifecycle.", status.GetProperty("description").GetString());
        Assert.Equal("#/components/schemas/JobStatus", Assert.Single(status.GetProperty("allOf").EnumerateArray()).GetProperty("$ref").GetString());
        Assert.False(status.TryGetProperty("oneOf", out _));
    }

    [Fact]
    public async Task OptionalQueryParameterOfAnEnum_IsTheReference()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var status = Operation(document, "ListJobs").GetProperty("parameters").EnumerateArray()
            .Single(parameter => parameter.GetProperty("name").GetString() == "status");
        var schema = status.GetProperty("schema");
        Assert.Equal("$ref", Assert.Single(schema.EnumerateObject()).Name);
        Assert.Equal("#/components/schemas/JobStatus", schema.GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task AnyValue_LosesNullable_ItAllowsNullAlready()
    {
        await using var app = await StartAsync();
        var document = await app.ReadDocumentAsync();

        var result = Schema(document, "JobState").GetProperty("allOf")[1].GetProperty("properties").GetProperty("result");
        Assert.False(result.TryGetProperty("nullable", out _));
        Assert.Equal("{}", Schema(document, "ProblemDetails").GetProperty("additionalProperties").GetRawText());
    }

    private static void AssertNullableReference(JsonElement schema, string target, string type)
    {
        Assert.False(schema.TryGetProperty("nullable", out _));
        var oneOf = schema.GetProperty("oneOf");
        Assert.Equal(2, oneOf.GetArrayLength());
        Assert.Equal($"#/components/schemas/{target}", oneOf[0].GetProperty("$ref").GetString());
        Assert.Equal(type, oneOf[1].GetProperty("type").GetString());
        Assert.True(oneOf[1].GetProperty("nullable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Assert.Single(oneOf[1].GetProperty("enum").EnumerateArray()).ValueKind);
    }

    /// <summary>What Redocly's nullable-type-sibling and no-illogical-composition-keywords rules report, everywhere.</summary>
    private static void Walk(JsonElement element, string path, List<string> problems)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, $"{path}/{index++}", problems);
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (element.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True && !element.TryGetProperty("type", out _))
        {
            problems.Add($"{path}: nullable without type");
        }

        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (element.TryGetProperty(keyword, out var members) && members.GetArrayLength() < 2)
            {
                problems.Add($"{path}: {keyword} of one schema");
            }
        }

        if (element.TryGetProperty("allOf", out var allOf) && allOf.GetArrayLength() < 2 && element.EnumerateObject().Count() == 1)
        {
            problems.Add($"{path}: allOf of one schema alone");
        }

        foreach (var property in element.EnumerateObject())
        {
            Walk(property.Value, $"{path}/{property.Name}", problems);
        }
    }
}
