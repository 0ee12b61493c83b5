using LongJobs.Server.Kinds;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// Declares the <c>Jobs</c> tag that <c>MapLongJobs</c> puts on its operations, with a description, so documentation
/// tools show what the group is. A tag the app declares itself is left as it is.
/// </summary>
internal sealed class JobsTagDocumentProcessor(JobKindRegistry kinds) : IDocumentProcessor
{
    /// <summary>The tag <c>MapLongJobs</c> gives its endpoints.</summary>
    public const string TagName = "Jobs";

    public const string TagDescription =
        "Long-running jobs: start a job of a registered kind, follow its progress, read or await its typed result, cancel it.";

    public void Process(DocumentProcessorContext context)
    {
        var document = context.Document;
        var kindOperationIds = kinds.Kinds
            .SelectMany(kind => new[] { JobKindOperationIds.Start(kind), JobKindOperationIds.Get(kind) })
            .ToHashSet(StringComparer.Ordinal);
        var used = document.Operations.Any(description =>
            description.Operation.OperationId is { } id && kindOperationIds.Contains(id) && description.Operation.Tags?.Contains(TagName) == true);
        if (!used || document.Tags.Any(tag => tag.Name == TagName))
        {
            return;
        }

        document.Tags.Add(new OpenApiTag { Name = TagName, Description = TagDescription });
    }
}
