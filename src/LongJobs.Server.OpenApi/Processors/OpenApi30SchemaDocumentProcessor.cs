using NJsonSchema;
using NJsonSchema.References;
using NJsonSchema.Visitors;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// Rewrites the shapes NSwag writes for references and nullability into OpenAPI 3.0.3 forms that linters accept and
/// that NSwag's client generator reads as before (the same C# types, with the same nullability):
/// <list type="bullet">
/// <item><c>{ description, oneOf: [ref] }</c> (a reference with siblings) becomes <c>{ description, allOf: [ref] }</c>,
/// and a lone <c>{ oneOf: [ref] }</c> the reference itself;</item>
/// <item><c>{ nullable: true, oneOf: [ref] }</c> (a nullable reference; OpenAPI 3.0.3 counts <c>nullable</c> only next
/// to <c>type</c>) becomes <c>{ oneOf: [ref, { type, nullable: true, enum: [null] }] }</c>;</item>
/// <item>in a path, query or header parameter, which is absent rather than null, a nullable reference becomes the
/// reference;</item>
/// <item><c>nullable: true</c> on a schema without a type (any value, null included) is dropped.</item>
/// </list>
/// </summary>
internal sealed class OpenApi30SchemaDocumentProcessor : IDocumentProcessor
{
    public void Process(DocumentProcessorContext context)
    {
        var document = context.Document;
        if (document.SchemaType != SchemaType.OpenApi3)
        {
            return;
        }

        foreach (var description in document.Operations)
        {
            foreach (var parameter in description.Operation.Parameters)
            {
                if (parameter.Kind != OpenApiParameterKind.Body && parameter.Schema is { Type: JsonObjectType.None, IsNullableRaw: true } schema)
                {
                    schema.IsNullableRaw = null;
                }
            }
        }

        new Visitor(OpenApiDocument.GetJsonSerializerContractResolver(document.SchemaType)).Visit(document);
    }

    private static void Rewrite(JsonSchema schema)
    {
        var isNullable = schema.IsNullableRaw == true;
        if (SingleReference(schema) is { } reference)
        {
            schema.OneOf.Clear();
            schema.AnyOf.Clear();
            schema.AllOf.Clear();
            if (isNullable)
            {
                schema.IsNullableRaw = null;
                schema.OneOf.Add(reference);
                schema.OneOf.Add(NullOf(TypeOf(reference.ActualSchema)));
            }
            else if (HasSiblings(schema) || reference.Reference is null)
            {
                schema.AllOf.Add(reference);
            }
            else
            {
                schema.Reference = reference.Reference;
            }
        }
        else if (isNullable && schema.Type == JsonObjectType.None && !schema.HasReference
            && schema.AllOf.Count == 0 && schema.OneOf.Count == 0 && schema.AnyOf.Count == 0)
        {
            schema.IsNullableRaw = null;
        }
    }

    /// <summary>
    /// The one reference a schema wraps as <c>oneOf</c> or <c>anyOf</c> (or, when nullable, <c>allOf</c>) to give it
    /// siblings; <see langword="null"/> when it is anything else.
    /// </summary>
    private static JsonSchema? SingleReference(JsonSchema schema) =>
        schema.HasOneOfSchemaReference ? schema.OneOf.Single()
        : schema.HasAnyOfSchemaReference ? schema.AnyOf.Single()
        : schema.HasAllOfSchemaReference && schema.IsNullableRaw == true ? schema.AllOf.Single()
        : null;

    private static bool HasSiblings(JsonSchema schema) =>
        !string.IsNullOrEmpty(schema.Description) || !string.IsNullOrEmpty(schema.Title) || schema.Default is not null
        || schema.Example is not null || schema.IsDeprecated || schema.ExtensionData?.Count > 0
        || schema is JsonSchemaProperty { IsReadOnly: true } or JsonSchemaProperty { IsWriteOnly: true };

    /// <summary>The schema of null alone, of the referenced schema's type: OpenAPI 3.0's nullable needs a type beside it.</summary>
    private static JsonSchema NullOf(JsonObjectType type)
    {
        var schema = new JsonSchema { Type = type, IsNullableRaw = true };
        schema.Enumeration.Add(null);
        return schema;
    }

    /// <summary>A schema's JSON type; for one composed with <c>allOf</c> (a derived type), its parts' type.</summary>
    private static JsonObjectType TypeOf(JsonSchema schema)
    {
        var type = schema.Type & ~JsonObjectType.Null;
        if (type != JsonObjectType.None)
        {
            return type;
        }

        foreach (var part in schema.AllOf)
        {
            if (TypeOf(part.ActualSchema) is var partType && partType != JsonObjectType.None)
            {
                return partType;
            }
        }

        return JsonObjectType.Object;
    }

    /// <summary>Visits every schema of the document, as NSwag serialises it; parameters themselves are not schemas in OpenAPI 3.</summary>
    private sealed class Visitor(Newtonsoft.Json.Serialization.IContractResolver contractResolver) : JsonReferenceVisitorBase(contractResolver)
    {
        protected override IJsonReference VisitJsonReference(IJsonReference reference, string path, string? typeNameHint)
        {
            if (reference is JsonSchema schema && schema is not OpenApiParameter and not OpenApiHeader)
            {
                Rewrite(schema);
            }

            return reference;
        }
    }
}
