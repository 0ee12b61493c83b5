using LongJobs.Server.Api;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// Keeps the schema names of the jobs API's own types (<c>JobInfo</c>, <c>JobState</c>, <c>ProblemDetails</c>…), which
/// client generators map to the LongJobs client's models by name: when an app's type of the same name came first and
/// took the name, the two swap, and the app's type keeps the numbered name NSwag gave the other (<c>JobState2</c>).
/// References follow, as NSwag writes them from the schemas' keys.
/// </summary>
internal sealed class ReservedSchemaNamesDocumentProcessor : IDocumentProcessor
{
    /// <summary>The types whose schema names clients rely on, with those names.</summary>
    internal static readonly IReadOnlyList<(Type Type, string Name)> ReservedNames =
    [
        (typeof(JobInfo), nameof(JobInfo)),
        (typeof(JobState), nameof(JobState)),
        (typeof(JobList), nameof(JobList)),
        (typeof(JobBatchResult), nameof(JobBatchResult)),
        (typeof(JobBatchItemResult), nameof(JobBatchItemResult)),
        (typeof(JobStatus), nameof(JobStatus)),
        (typeof(NotificationDelivery), nameof(NotificationDelivery)),
        (typeof(NotificationDeliveryStatus), nameof(NotificationDeliveryStatus)),
        (typeof(ProblemDetails), nameof(ProblemDetails)),
        (typeof(HttpValidationProblemDetails), nameof(HttpValidationProblemDetails)),
    ];

    public void Process(DocumentProcessorContext context)
    {
        var schemas = context.Document.Definitions;
        foreach (var (type, name) in ReservedNames)
        {
            // Enums are resolved as string or integer enumerations; the document holds at most one of them.
            var isIntegerEnumeration = type.IsEnum && !context.SchemaResolver.HasSchema(type, isIntegerEnumeration: false);
            if (!context.SchemaResolver.HasSchema(type, isIntegerEnumeration))
            {
                continue;
            }

            var schema = context.SchemaResolver.GetSchema(type, isIntegerEnumeration);
            var current = schemas.FirstOrDefault(entry => ReferenceEquals(entry.Value, schema)).Key;
            if (current is null || current == name)
            {
                continue;
            }

            if (schemas.TryGetValue(name, out var other))
            {
                schemas[current] = other;
            }
            else
            {
                schemas.Remove(current);
            }

            schemas[name] = schema;
        }
    }
}
