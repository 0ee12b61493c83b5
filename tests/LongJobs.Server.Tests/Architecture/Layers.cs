namespace LongJobs.Server.Tests.Architecture;

/// <summary>The layers of LongJobs.Server: one per top-level folder, and which namespace belongs to which.</summary>
internal static class Layers
{
    public const string Root = "Root";
    public const string Jobs = "Jobs";
    public const string Storage = "Storage";
    public const string Kinds = "Kinds";
    public const string Security = "Security";
    public const string Observability = "Observability";
    public const string Retention = "Retention";
    public const string Notifications = "Notifications";

    /// <summary>The scheduler's contract: LongJobs.Server.Execution itself (IJobScheduler, its exceptions).</summary>
    public const string Execution = "Execution";

    /// <summary>The engine behind the contract: the namespaces under LongJobs.Server.Execution.</summary>
    public const string ExecutionEngine = "Execution engine";

    public const string Api = "Api";
    public const string Dashboard = "Dashboard";

    /// <summary>The entry points beside ASP.NET Core's own MapX methods (namespace Microsoft.AspNetCore.Builder): MapLongJobs, MapLongJobsDashboard.</summary>
    public const string EndpointMapping = "Endpoint mapping";
    public const string DependencyInjection = "DependencyInjection";

    public static readonly string[] All =
        [Root, Jobs, Storage, Kinds, Security, Observability, Retention, Notifications, Execution, ExecutionEngine, Api, Dashboard, EndpointMapping, DependencyInjection];

    private const string Server = "LongJobs.Server";

    /// <summary>The layer of one of the assembly's namespaces.</summary>
    public static string Of(string ns) => ns switch
    {
        Server => Root,
        "Microsoft.Extensions.DependencyInjection" => DependencyInjection,
        // MapLongJobs and MapLongJobsDashboard sit beside ASP.NET Core's own MapX methods (in the Api and Dashboard folders).
        "Microsoft.AspNetCore.Builder" => EndpointMapping,
        _ when ns.StartsWith($"{Server}.{Execution}.", StringComparison.Ordinal) => ExecutionEngine,
        _ when ns.StartsWith($"{Server}.", StringComparison.Ordinal) => ns[(Server.Length + 1)..].Split('.')[0],
        _ => throw new ArgumentException($"Namespace '{ns}' belongs to no layer.", nameof(ns)),
    };

    /// <summary>Whether a namespace is the library's own (compiler-generated ones such as System.Runtime.CompilerServices are not).</summary>
    public static bool Owns(string ns) =>
        ns is Server or "Microsoft.Extensions.DependencyInjection" or "Microsoft.AspNetCore.Builder"
        || ns.StartsWith($"{Server}.", StringComparison.Ordinal);
}
