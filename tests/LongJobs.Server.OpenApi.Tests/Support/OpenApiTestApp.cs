using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NSwag.Generation;

namespace LongJobs.Server.OpenApi.Tests.Support;

/// <summary>
/// A LongJobs app in memory (TestServer) with the test kinds and the OpenAPI document: by default set up as the sample
/// is, with <c>AddLongJobsOpenApiDocument</c> and <c>UseLongJobsOpenApi</c>; <paramref name="addServices"/> and
/// <paramref name="configureApp"/> replace that setup when given.
/// </summary>
internal sealed class OpenApiTestApp : IAsyncDisposable
{
    private OpenApiTestApp(WebApplication app) => App = app;

    public WebApplication App { get; }

    public static async Task<OpenApiTestApp> StartAsync(Action<IServiceCollection>? addServices = null, Action<WebApplication>? configureApp = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddLongJobs().AddTestKinds();
        (addServices ?? (services => services.AddLongJobsOpenApiDocument()))(builder.Services);

        var app = builder.Build();
        (configureApp ?? (web => web.UseLongJobsOpenApi()))(app);
        app.MapLongJobs();
        await app.StartAsync();
        return new OpenApiTestApp(app);
    }

    /// <summary>The document as a client reads it, over HTTP.</summary>
    public async Task<JsonElement> ReadDocumentAsync(string path = "/swagger/v1/swagger.json") =>
        Parse(await ReadDocumentTextAsync(path));

    public async Task<string> ReadDocumentTextAsync(string path = "/swagger/v1/swagger.json")
    {
        using var client = App.GetTestClient();
        return await client.GetStringAsync(new Uri(path, UriKind.Relative));
    }

    /// <summary>The document as the build writes it (the build-time tool asks the same generator).</summary>
    public async Task<string> GenerateDocumentJsonAsync(string documentName = "v1")
    {
        var document = await App.Services.GetRequiredService<IOpenApiDocumentGenerator>().GenerateAsync(documentName);
        return document.ToJson();
    }

    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The operation with <paramref name="operationId"/>.</summary>
    public static JsonElement Operation(JsonElement document, string operationId) =>
        Operations(document).Single(operation => operation.GetProperty("operationId").GetString() == operationId);

    public static IEnumerable<JsonElement> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject())
            .Select(method => method.Value);

    public static JsonElement Schema(JsonElement document, string name) =>
        document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    public static string? Extension(JsonElement operation, string name) =>
        operation.TryGetProperty(name, out var value) ? value.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
