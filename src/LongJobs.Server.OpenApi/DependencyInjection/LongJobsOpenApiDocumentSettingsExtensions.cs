using LongJobs.Server.Kinds;
using LongJobs.Server.OpenApi.Processors;
using NSwag.Generation.AspNetCore;

// In this namespace, as Swashbuckle's SwaggerGenOptions extensions are: a web project imports it implicitly, so the call
// is found inside AddOpenApiDocument's lambda without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds what LongJobs contributes to an NSwag OpenAPI document the app configures itself.</summary>
public static class LongJobsOpenApiDocumentSettingsExtensions
{
    /// <summary>
    /// Adds the LongJobs processors to an NSwag document's settings, for apps that call NSwag's
    /// <c>AddOpenApiDocument((document, services) => document.AddLongJobsProcessors(services))</c> themselves. They
    /// <list type="bullet">
    /// <item>mark every registered kind's start and typed read operations with <c>x-longjobs-kind</c>, and its start
    /// operation with <c>x-longjobs-result</c>, its result's schema name, for client generators;</item>
    /// <item>carry endpoints' <c>WithSummary</c>, <c>WithDescription</c> and response descriptions into their operations
    /// (NSwag leaves them out), filling only what is empty;</item>
    /// <item>keep the schema names of the jobs API's own types (<c>JobInfo</c>, <c>JobState</c>, <c>ProblemDetails</c>…),
    /// which client generators map to the LongJobs client's models, when an app's type has the same name;</item>
    /// <item>describe the <c>Jobs</c> tag, unless the app declares it;</item>
    /// <item>write references and nullable schemas as OpenAPI 3.0.3 (no <c>nullable</c> without <c>type</c>, no
    /// <c>oneOf</c> of one schema), in forms NSwag's client generator reads as before.</item>
    /// </list>
    /// Nothing else of the document is set: its title, licence, servers and security stay the app's.
    /// </summary>
    /// <param name="settings">The document's settings.</param>
    /// <param name="services">The app's services, which hold the registered job kinds.</param>
    /// <returns><paramref name="settings"/>, to chain calls.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLongJobs</c> was not called.</exception>
    public static AspNetCoreOpenApiDocumentGeneratorSettings AddLongJobsProcessors(this AspNetCoreOpenApiDocumentGeneratorSettings settings, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);

        var kinds = services.GetService<JobKindRegistry>() ?? throw new InvalidOperationException(
            "LongJobs services are missing: call 'builder.Services.AddLongJobs()' to describe the jobs API in the OpenAPI document.");
        if (settings.DocumentProcessors.OfType<JobKindExtensionsDocumentProcessor>().Any())
        {
            return settings;
        }

        settings.OperationProcessors.Add(new EndpointMetadataOperationProcessor());
        settings.DocumentProcessors.Add(new ReservedSchemaNamesDocumentProcessor());
        settings.DocumentProcessors.Add(new JobKindExtensionsDocumentProcessor(kinds));
        settings.DocumentProcessors.Add(new JobsTagDocumentProcessor(kinds));
        settings.DocumentProcessors.Add(new OpenApi30SchemaDocumentProcessor());
        return settings;
    }
}
