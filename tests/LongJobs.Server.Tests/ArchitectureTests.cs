using LongJobs.Server.Tests.Architecture;

namespace LongJobs.Server.Tests;

/// <summary>
/// The layering of LongJobs.Server that docs/architecture.md draws, checked on the compiled assembly: every type
/// reference (signatures, base types, attributes, method bodies) from one namespace to another must go down the
/// layers, and no namespaces may depend on each other in a circle.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>What each layer may use besides itself and the root (LongJobsOptions, Log), which every layer may use.</summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        [Layers.Root] = [Layers.Jobs],
        [Layers.Jobs] = [],
        [Layers.Storage] = [Layers.Jobs],
        [Layers.Kinds] = [Layers.Jobs, Layers.Storage],
        [Layers.Security] = [Layers.Jobs, Layers.Storage],
        [Layers.Observability] = [Layers.Jobs, Layers.Storage],
        [Layers.Retention] = [Layers.Jobs, Layers.Storage],
        [Layers.Notifications] = [Layers.Jobs, Layers.Storage, Layers.Kinds],
        [Layers.Execution] = [Layers.Jobs, Layers.Storage, Layers.Kinds, Layers.Notifications, Layers.Observability],
        [Layers.ExecutionEngine] = [Layers.Execution, Layers.Jobs, Layers.Storage, Layers.Kinds, Layers.Notifications, Layers.Observability],
        [Layers.Api] = [Layers.Execution, Layers.Jobs, Layers.Storage, Layers.Kinds, Layers.Security, Layers.Notifications],
        [Layers.Dashboard] = [Layers.Api, Layers.Execution, Layers.Jobs, Layers.Storage, Layers.Kinds, Layers.Security, Layers.Notifications],
        [Layers.EndpointMapping] = [Layers.Api, Layers.Dashboard, Layers.Execution, Layers.Jobs, Layers.Storage, Layers.Kinds, Layers.Security, Layers.Notifications],
        [Layers.DependencyInjection] = [.. Layers.All],
    };

    private static readonly Lazy<IReadOnlyList<NamespaceDependency>> Dependencies =
        new(() => NamespaceDependencies.Read(typeof(LongJobsOptions).Assembly.Location));

    [Fact]
    public void Scan_SeesReferencesInSignaturesAndMethodBodies()
    {
        // The DI registrations use the store only inside method bodies; the scheduler facade takes it in its constructor.
        Assert.Contains(Dependencies.Value, dependency => dependency.From == "Microsoft.Extensions.DependencyInjection" && dependency.To == "LongJobs.Server.Storage");
        Assert.Contains(Dependencies.Value, dependency => dependency.From == "LongJobs.Server.Execution.Scheduling" && dependency.To == "LongJobs.Server.Jobs");
    }

    [Fact]
    public void EveryNamespace_UsesOnlyTheLayersBelowIt()
    {
        var forbidden = Dependencies.Value
            .Select(dependency => (Dependency: dependency, From: Layers.Of(dependency.From), To: Layers.Of(dependency.To)))
            .Where(edge => edge.From != edge.To && edge.To != Layers.Root && !MayUse[edge.From].Contains(edge.To))
            .GroupBy(edge => $"{edge.From} -> {edge.To}", edge => edge.Dependency)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .ToList();

        var report = new List<string>();
        foreach (var group in forbidden)
        {
            var uses = group.SelectMany(dependency => dependency.Examples).Distinct().ToList();
            report.Add($"{group.Key} is not allowed ({uses.Count} type references), e.g.:");
            foreach (var use in uses.Take(4))
            {
                report.Add($"    {use}");
            }
        }

        Assert.True(forbidden.Count == 0, $"{forbidden.Count} forbidden layer dependencies in LongJobs.Server:{Environment.NewLine}{string.Join(Environment.NewLine, report)}");
    }

    [Fact]
    public void Namespaces_DependOnEachOtherInNoCycle()
    {
        var cycles = NamespaceDependencies.Cycles(Dependencies.Value);

        var report = new List<string>();
        foreach (var cycle in cycles)
        {
            report.Add($"cycle among {string.Join(", ", cycle.Select(dependency => dependency.From).Distinct())}:");
            foreach (var dependency in cycle)
            {
                report.Add($"    {dependency.From} -> {dependency.To}, e.g. {dependency.Examples.First()}");
            }
        }

        Assert.True(cycles.Count == 0, $"{cycles.Count} namespace cycles in LongJobs.Server:{Environment.NewLine}{string.Join(Environment.NewLine, report)}");
    }
}
