using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// Carries what an endpoint says about itself into its operation, where NSwag leaves it out: the summary and description
/// of <c>WithSummary</c> and <c>WithDescription</c>, and each response's description (its <c>Produces</c> metadata's, or
/// else the status code's reason phrase, as ASP.NET Core's own OpenAPI generator writes). An endpoint's own summary and
/// description win over its handler's XML comments, which one handler shares between endpoints (a kind's
/// "Starts a 'thumbnail' job." over "Starts a job of this kind."); an empty response description is filled.
/// </summary>
internal sealed class EndpointMetadataOperationProcessor : IOperationProcessor
{
    public bool Process(OperationProcessorContext context)
    {
        if (context is not AspNetCoreOperationProcessorContext { ApiDescription: { } api })
        {
            return true;
        }

        var operation = context.OperationDescription.Operation;
        var metadata = api.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IEndpointSummaryMetadata>().LastOrDefault() is { Summary.Length: > 0 } summary)
        {
            operation.Summary = summary.Summary;
        }

        if (metadata.OfType<IEndpointDescriptionMetadata>().LastOrDefault() is { Description.Length: > 0 } description)
        {
            operation.Description = description.Description;
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (!string.IsNullOrEmpty(response.Description) || !int.TryParse(status, out var statusCode))
            {
                continue;
            }

            var declared = api.SupportedResponseTypes.FirstOrDefault(type => type.StatusCode == statusCode && !string.IsNullOrEmpty(type.Description))?.Description
                ?? metadata.OfType<IProducesResponseTypeMetadata>().LastOrDefault(produces => produces.StatusCode == statusCode && !string.IsNullOrEmpty(produces.Description))?.Description;
            response.Description = declared ?? ReasonPhrases.GetReasonPhrase(statusCode);
        }

        return true;
    }
}
