using Microsoft.Extensions.DependencyInjection;
using NSwag.AspNetCore;
using NSwag.Generation;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the OpenAPI document of a LongJobs server.</summary>
public static class LongJobsOpenApiApplicationBuilderExtensions
{
    /// <summary>
    /// Serves the OpenAPI document at <c>/swagger/v1/swagger.json</c> as it was generated: without the <c>servers</c>
    /// entry NSwag's <c>UseOpenApi</c> adds from each request's host. So the live document equals the one written at
    /// build time, and clients and the Swagger UI call the server relative to where they read it (right behind a
    /// proxy too).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns><paramref name="app"/>, to chain calls.</returns>
    /// <exception cref="InvalidOperationException">No OpenAPI document was registered.</exception>
    public static IApplicationBuilder UseLongJobsOpenApi(this IApplicationBuilder app) =>
        app.UseLongJobsOpenApi(static _ => { });

    /// <summary>
    /// Serves the OpenAPI document as it was generated: without the <c>servers</c> entry NSwag's <c>UseOpenApi</c> adds
    /// from each request's host. So the live document equals the one written at build time, and clients and the
    /// Swagger UI call the server relative to where they read it (right behind a proxy too).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="configure">
    /// Sets the middleware's settings, as in NSwag's <c>UseOpenApi</c> (<c>Path</c>, <c>DocumentName</c>); a
    /// <c>PostProcess</c> set here runs after the servers are removed, so it may add its own.
    /// </param>
    /// <returns><paramref name="app"/>, to chain calls.</returns>
    /// <exception cref="InvalidOperationException">No OpenAPI document was registered.</exception>
    public static IApplicationBuilder UseLongJobsOpenApi(this IApplicationBuilder app, Action<OpenApiDocumentMiddlewareSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(configure);
        if (app.ApplicationServices.GetService<IOpenApiDocumentGenerator>() is null)
        {
            throw new InvalidOperationException(
                "No OpenAPI document is registered: call 'builder.Services.AddLongJobsOpenApiDocument()' before 'app.UseLongJobsOpenApi()'.");
        }

        return app.UseOpenApi(settings =>
        {
            configure(settings);
            var postProcess = settings.PostProcess;
            settings.PostProcess = (document, request) =>
            {
                document.Servers.Clear();
                postProcess?.Invoke(document, request);
            };
        });
    }
}
