using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.OpenApi.Tests.Support
{
    /// <summary>
    /// Job kinds whose result types test the schema names: a generic result, two results of one name, a result named
    /// like one of the jobs API's own types, a string result, and one with nullable references.
    /// </summary>
    internal static class TestKinds
    {
        public static LongJobsBuilder AddTestKinds(this LongJobsBuilder jobs) => jobs
            .AddJob<UnusedHandler<ThumbnailRequest, Page<Thumbnail>>, ThumbnailRequest, Page<Thumbnail>>("thumbnail")
            .AddJob<UnusedHandler<AlphaRequest, Alpha.Result>, AlphaRequest, Alpha.Result>("alpha")
            .AddJob<UnusedHandler<BetaRequest, Beta.Result>, BetaRequest, Beta.Result>("beta")
            .AddJob<UnusedHandler<SnapshotRequest, Snapshots.JobState>, SnapshotRequest, Snapshots.JobState>("snapshot")
            .AddJob<UnusedHandler<EchoRequest, string>, EchoRequest, string>("echo")
            .AddJob<UnusedHandler<PrimesRequest, PrimesResult>, PrimesRequest, PrimesResult>("count-primes");
    }

    /// <summary>A handler for kinds whose jobs never run: these tests read the OpenAPI document only.</summary>
    internal sealed class UnusedHandler<TRequest, TResult> : IJobHandler<TRequest, TResult>
    {
        public Task<TResult> ExecuteAsync(TRequest request, JobContext context, CancellationToken cancellationToken) =>
            throw new NotSupportedException("These tests read the OpenAPI document; no job runs.");
    }

    public sealed record ThumbnailRequest
    {
        [Required]
        public required string Url { get; init; }
    }

    public sealed record Thumbnail
    {
        public required int Width { get; init; }
    }

    public sealed record Page<T>
    {
        public required IReadOnlyList<T> Items { get; init; }
    }

    public sealed record AlphaRequest
    {
        public required int Alpha { get; init; }
    }

    public sealed record BetaRequest
    {
        public required int Beta { get; init; }
    }

    public sealed record SnapshotRequest
    {
        public required int Depth { get; init; }
    }

    public sealed record EchoRequest
    {
        [Required]
        public required string Text { get; init; }
    }

    public sealed record PrimesRequest
    {
        [Range(2, 1000)]
        public required int Below { get; init; }
    }

    /// <summary>An enum without a string converter: an integer enumeration in the document.</summary>
    public enum Parity
    {
        Even,
        Odd,
    }

    /// <summary>A result with nullable references, to an object and to an enum.</summary>
    public sealed record PrimesResult
    {
        public required int Count { get; init; }

        public Thumbnail? Chart { get; init; }

        public Parity? LargestParity { get; init; }
    }
}

namespace LongJobs.Server.OpenApi.Tests.Support.Alpha
{
    public sealed record Result
    {
        public required int AlphaValue { get; init; }
    }
}

namespace LongJobs.Server.OpenApi.Tests.Support.Beta
{
    public sealed record Result
    {
        public required int BetaValue { get; init; }
    }
}

namespace LongJobs.Server.OpenApi.Tests.Support.Snapshots
{
    /// <summary>An app's own type named like the jobs API's <c>JobState</c>.</summary>
    public sealed record JobState
    {
        public required int Depth { get; init; }
    }
}
