using LongJobs.Server.Kinds;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// Marks the operations of every registered kind for client generators: <c>x-longjobs-kind</c> on its start
/// (<c>Start{Kind}Job</c>), batch start (<c>Start{Kind}Jobs</c>) and typed read (<c>Get{Kind}Job</c>) operations; and on its
/// start operation <c>x-longjobs-result</c>, the name of its result's schema in <c>components/schemas</c>, and
/// <c>x-longjobs-batch</c>, the operation ID of its batch start, whose body it names <c>items</c>. Runs once the document is complete, so the
/// result's schema name is the one the document uses (<c>PageOfThumbnail</c> for a generic type, <c>Result2</c> when
/// two types share a name). A kind whose operations are not in this document is left out.
/// </summary>
internal sealed class JobKindExtensionsDocumentProcessor(JobKindRegistry kinds) : IDocumentProcessor
{
    public void Process(DocumentProcessorContext context)
    {
        var operations = new Dictionary<string, OpenApiOperation>(StringComparer.Ordinal);
        foreach (var description in context.Document.Operations)
        {
            if (description.Operation.OperationId is { } id)
            {
                operations.TryAdd(id, description.Operation);
            }
        }

        foreach (var kind in kinds.Kinds)
        {
            operations.TryGetValue(JobKindOperationIds.Start(kind), out var start);
            operations.TryGetValue(JobKindOperationIds.StartMany(kind), out var startMany);
            operations.TryGetValue(JobKindOperationIds.Get(kind), out var get);
            if (start is not null)
            {
                Mark(start, OpenApiExtensionNames.Kind, kind.Name);
                if (startMany is not null)
                {
                    Mark(start, OpenApiExtensionNames.Batch, JobKindOperationIds.StartMany(kind));
                }

                if (ResultSchemaName(context, kind.ResultType) is { } result)
                {
                    Mark(start, OpenApiExtensionNames.Result, result);
                }
            }

            if (startMany?.RequestBody is { } items)
            {
                // NSwag names the body after its type, IReadOnlyList`1.
                items.Name = "items";
            }

            foreach (var operation in (OpenApiOperation?[])[startMany, get])
            {
                if (operation is not null)
                {
                    Mark(operation, OpenApiExtensionNames.Kind, kind.Name);
                }
            }
        }
    }

    private static void Mark(OpenApiOperation operation, string name, string value)
    {
        operation.ExtensionData ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        operation.ExtensionData[name] = value;
    }

    /// <summary>The key under which the document holds <paramref name="resultType"/>'s schema, if it holds one.</summary>
    private static string? ResultSchemaName(DocumentProcessorContext context, Type resultType)
    {
        if (!context.SchemaResolver.HasSchema(resultType, isIntegerEnumeration: false))
        {
            return null;
        }

        var schema = context.SchemaResolver.GetSchema(resultType, isIntegerEnumeration: false);
        return context.Document.Definitions.FirstOrDefault(entry => ReferenceEquals(entry.Value, schema)).Key;
    }
}
