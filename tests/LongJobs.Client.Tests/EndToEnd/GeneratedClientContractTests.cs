using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using ClientJobStatus = LongJobs.Client.Models.JobStatus;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>
/// The generated client and the hand-written layer match what the running sample server documents, so a server
/// change that breaks the client fails here even before any call does.
/// </summary>
public sealed class GeneratedClientContractTests
{
    private static readonly Uri DocumentUri = new("/swagger/v1/swagger.json", UriKind.Relative);

    [Fact]
    public async Task LiveDocument_HasTheOperationsTheClientCalls()
    {
        var document = await ReadLiveDocumentAsync();

        var operations = Operations(document).Select(operation => operation.Id).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal) { "StartPrimesJob", "GetPrimesJob", "StartSleepJob", "GetSleepJob", "StartFailJob", "GetFailJob", "StartPrimesJobs", "StartSleepJobs", "StartFailJobs", "GetJob", "CancelJob", "RetryJob", "DeleteJob", "ListJobs" },
            operations);
    }

    [Fact]
    public async Task GeneratedClient_HasTypedMembersForEveryKindOfTheLiveDocument_AndTheBaseServesTheRest()
    {
        var document = await ReadLiveDocumentAsync();
        var expected = new List<string>();

        foreach (var operation in Operations(document))
        {
            if (operation.Result is { } result && operation.Method == "post")
            {
                var job = operation.Id["Start".Length..];
                var resultType = typeof(SampleJobsClient).Assembly.GetType($"LongJobs.Client.Tests.Sample.{result}")!;
                Assert.Equal(typeof(Task<>).MakeGenericType(typeof(JobOperation<>).MakeGenericType(resultType)), typeof(SampleJobsClient).GetMethod($"Start{job}Async", [RequestTypeOf(operation), typeof(CancellationToken)])?.ReturnType);
                Assert.Equal(typeof(Task<>).MakeGenericType(resultType), typeof(SampleJobsClient).GetMethod($"Run{job}Async", [RequestTypeOf(operation), typeof(IProgress<JobProgress>), typeof(CancellationToken)])?.ReturnType);
                Assert.Equal(typeof(JobOperation<>).MakeGenericType(resultType), typeof(SampleJobsClient).GetMethod($"Get{job}Operation", [typeof(Guid)])?.ReturnType);
                expected.AddRange([$"Start{job}Async", $"Run{job}Async", $"Get{job}Operation"]);
                if (operation.Batch is not null)
                {
                    var requestType = RequestTypeOf(operation);
                    var batchResult = typeof(Task<>).MakeGenericType(typeof(IReadOnlyList<>).MakeGenericType(typeof(JobStartResult<>).MakeGenericType(resultType)));
                    Assert.Equal(batchResult, typeof(SampleJobsClient).GetMethod($"Start{job}sAsync", [typeof(IEnumerable<>).MakeGenericType(requestType), typeof(CancellationToken)])?.ReturnType);
                    Assert.Equal(batchResult, typeof(SampleJobsClient).GetMethod($"Start{job}sAsync", [typeof(IEnumerable<>).MakeGenericType(typeof(Models.JobBatchItem<>).MakeGenericType(requestType)), typeof(CancellationToken)])?.ReturnType);
                    expected.Add($"Start{job}sAsync");
                }
            }
            else if (operation.Kind is null)
            {
                Assert.True(typeof(LongJobsClient).GetMethod(operation.Id + "Async") is not null, $"LongJobsClient has no method for '{operation.Id}'.");
            }
        }

        var declared = typeof(SampleJobsClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(method => !method.IsSpecialName).Select(method => method.Name).Distinct();
        Assert.Equal(expected.Order(StringComparer.Ordinal), declared.Order(StringComparer.Ordinal));

        static Type RequestTypeOf((string Id, string Method, string Path, IReadOnlyList<string> Parameters, string? Kind, string? Result, string? Request, string? Batch) operation) =>
            typeof(SampleJobsClient).Assembly.GetType($"LongJobs.Client.Tests.Sample.{operation.Request}")!;
    }

    [Fact]
    public async Task ClientTypes_HaveThePropertiesOfEverySchemaOfTheLiveDocument()
    {
        var document = await ReadLiveDocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var clientAssembly = typeof(SampleJobsClient).Assembly;

        Assert.All(schemas, schema =>
        {
            var type = clientAssembly.GetType($"LongJobs.Client.Tests.Sample.{schema.Key}") ?? typeof(LongJobsClient).Assembly.GetType($"LongJobs.Client.Models.{schema.Key}");
            Assert.True(type is not null, $"The client has no type for schema '{schema.Key}'.");
            if (type.IsEnum)
            {
                Assert.Equal(schema.Value!["enum"]!.AsArray().Select(value => value!.GetValue<string>()), Enum.GetNames(type));
                return;
            }

            var clientProperties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Select(property => property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
                .OfType<string>()
                .Order(StringComparer.Ordinal);
            Assert.Equal(SchemaProperties(schemas, schema.Value!).Order(StringComparer.Ordinal), clientProperties);
        });
        Assert.Equal(typeof(ClientJobStatus), typeof(LongJobsClient).Assembly.GetType("LongJobs.Client.Models.JobStatus"));
        Assert.Null(clientAssembly.GetType("LongJobs.Client.Tests.Sample.JobInfo"));
    }

    [Fact]
    public async Task GeneratedClient_WasGeneratedFromTheDocumentTheServerServesNow()
    {
        // The build writes the sample's document to obj/openapi/openapi.json and generates the client from it.
        var buildTime = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryFiles.PathOf("samples/LongJobs.Sample/obj/openapi/openapi.json")));
        var live = await ReadLiveDocumentAsync();

        Assert.True(
            JsonNode.DeepEquals(buildTime, live),
            $"The sample serves another OpenAPI document than the one the client was generated from (first difference at {FirstDifference(buildTime, live, "$")}): rebuild.");
    }

    private static async Task<JsonNode> ReadLiveDocumentAsync()
    {
        await using var server = new SampleServerFactory();
        using var client = new HttpClient { BaseAddress = server.Address };
        return JsonNode.Parse(await client.GetStringAsync(DocumentUri).WaitAsync(TestTimeouts.Signal))!;
    }

    private static IEnumerable<(string Id, string Method, string Path, IReadOnlyList<string> Parameters, string? Kind, string? Result, string? Request, string? Batch)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        select (
            operation.Value!["operationId"]!.GetValue<string>(),
            operation.Key,
            path.Key,
            (IReadOnlyList<string>)[.. (operation.Value["parameters"]?.AsArray() ?? []).Select(parameter => parameter!["name"]!.GetValue<string>())],
            operation.Value["x-longjobs-kind"]?.GetValue<string>(),
            operation.Value["x-longjobs-result"]?.GetValue<string>(),
            operation.Value["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>().Split('/')[^1],
            operation.Value["x-longjobs-batch"]?.GetValue<string>());

    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        if (JsonNode.DeepEquals(expected, actual))
        {
            return null;
        }

        if (expected is JsonObject expectedObject && actual is JsonObject actualObject)
        {
            foreach (var key in expectedObject.Select(member => member.Key).Union(actualObject.Select(member => member.Key)))
            {
                if (FirstDifference(expectedObject[key], actualObject[key], $"{path}.{key}") is { } difference)
                {
                    return difference;
                }
            }
        }

        if (expected is JsonArray expectedArray && actual is JsonArray actualArray && expectedArray.Count == actualArray.Count)
        {
            for (var index = 0; index < expectedArray.Count; index++)
            {
                if (FirstDifference(expectedArray[index], actualArray[index], $"{path}[{index}]") is { } difference)
                {
                    return difference;
                }
            }
        }

        return $"{path}: {expected?.ToJsonString() ?? "nothing"} at build time, {actual?.ToJsonString() ?? "nothing"} now";
    }

    private static HashSet<string> SchemaProperties(JsonObject schemas, JsonNode schema)
    {
        if (schema["$ref"] is { } reference)
        {
            return SchemaProperties(schemas, schemas[reference.GetValue<string>().Split('/')[^1]]!);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        if (schema["properties"] is JsonObject properties)
        {
            names.UnionWith(properties.Select(property => property.Key));
        }

        foreach (var part in schema["allOf"]?.AsArray() ?? [])
        {
            names.UnionWith(SchemaProperties(schemas, part!));
        }

        return names;
    }
}
