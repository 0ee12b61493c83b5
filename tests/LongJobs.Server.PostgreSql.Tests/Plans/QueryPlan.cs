using System.Globalization;
using System.Text.Json;

namespace LongJobs.Server.PostgreSql.Tests.Plans;

/// <summary>A statement's plan as <c>EXPLAIN (FORMAT JSON)</c> gives it, with what <c>ANALYZE</c> measured when it ran.</summary>
internal sealed class QueryPlan
{
    private readonly List<JsonElement> _nodes = [];

    private QueryPlan(JsonElement explained)
    {
        var root = explained[0];
        Collect(root.GetProperty("Plan"));
        ExecutionMilliseconds = root.TryGetProperty("Execution Time", out var time) ? time.GetDouble() : null;
    }

    /// <summary>The root node's type, and its relation or index if it has one (<c>Limit</c>, <c>ModifyTable on jobs</c>).</summary>
    public string Top => Describe(_nodes[0]);

    /// <summary>The rows the planner expects the statement to return.</summary>
    public double EstimatedRows => _nodes[0].GetProperty("Plan Rows").GetDouble();

    /// <summary>The planner's estimate of the statement's whole cost, in its units.</summary>
    public double EstimatedCost => _nodes[0].GetProperty("Total Cost").GetDouble();

    /// <summary>How the statement reads the jobs table: its scans of it, in plan order.</summary>
    public IEnumerable<string> ScansOfJobs => _nodes.Where(IsScanOfJobs).Select(Describe);

    /// <summary>Whether some node reads the jobs table whole.</summary>
    public bool SeqScansJobs => _nodes.Any(node => IsScanOfJobs(node) && node.GetProperty("Node Type").GetString() == "Seq Scan");

    /// <summary>
    /// How many rows of the jobs table (or entries of its indexes, for index-only scans) the scans of it read, those
    /// that filters removed included: measured by <c>ANALYZE</c>.
    /// </summary>
    public long RowsReadFromJobs => (long)_nodes.Where(IsScanOfJobs).Sum(node =>
        (Number(node, "Actual Rows") + Number(node, "Rows Removed by Filter") + Number(node, "Rows Removed by Index Recheck")) * Number(node, "Actual Loops"));

    /// <summary>
    /// How many pages of the jobs table and its indexes the scans of it read (from shared buffers or the disk): measured by
    /// <c>ANALYZE</c> with <c>BUFFERS</c>, 0 without.
    /// </summary>
    public long BlocksReadFromJobs => (long)_nodes.Where(IsScanOfJobs).Sum(node => Number(node, "Shared Hit Blocks") + Number(node, "Shared Read Blocks"));

    /// <summary>The execution time <c>ANALYZE</c> measured; <see langword="null"/> for a plan that did not run.</summary>
    public double? ExecutionMilliseconds { get; }

    /// <summary>Reads the one row that <c>EXPLAIN (FORMAT JSON)</c> returns.</summary>
    public static QueryPlan Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new QueryPlan(document.RootElement.Clone());
    }

    private void Collect(JsonElement node)
    {
        _nodes.Add(node);
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                Collect(child);
            }
        }
    }

    private static bool IsScanOfJobs(JsonElement node) =>
        node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "jobs"
        && node.GetProperty("Node Type").GetString()!.EndsWith("Scan", StringComparison.Ordinal);

    private static string Describe(JsonElement node)
    {
        var type = node.GetProperty("Node Type").GetString();
        return node.TryGetProperty("Index Name", out var index) ? $"{type} using {index.GetString()}"
            : node.TryGetProperty("Relation Name", out var relation) ? $"{type} on {relation.GetString()}"
            : type!;
    }

    private static double Number(JsonElement node, string name) =>
        node.TryGetProperty(name, out var value) ? value.GetDouble() : 0;

    /// <summary>The plan's figures on one line, for the test output.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Top} | {string.Join(", ", ScansOfJobs)} | est. {EstimatedRows} rows, cost {EstimatedCost:F0} | read {RowsReadFromJobs} | {ExecutionMilliseconds:F2} ms");
}
