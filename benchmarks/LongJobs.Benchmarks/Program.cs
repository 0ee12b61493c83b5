using LongJobs.Benchmarks.Http;
using LongJobs.Benchmarks.Latency;
using LongJobs.Benchmarks.Memory;
using LongJobs.Benchmarks.PostgreSql;
using LongJobs.Benchmarks.Throughput;

// Usage: LongJobs.Benchmarks <throughput|latency|http|memory|postgres> [--quick] [--postgres CONNECTION-STRING [--pgbench PATH]]
// benchmarks/run.sh builds this project and runs every part; each part prints Markdown tables and exits non-zero
// when a measurement breaks (a job fails, a request errs, a peer does not finish in time).
var part = args.FirstOrDefault(arg => !arg.StartsWith("--", StringComparison.Ordinal)) ?? string.Empty;
var quick = args.Contains("--quick");
var postgres = Option("--postgres");
var pgbench = Option("--pgbench");

switch (part)
{
    case "throughput":
        return InProcessThroughputRun.Run(quick);
    case "latency":
        return await CompletionLatencyRun.RunAsync(quick);
    case "http":
        return await ApiThroughputRun.RunAsync(quick);
    case "memory":
        return await MemoryRun.RunAsync(quick);
    case "postgres" when postgres is not null:
        return await PostgreSqlThroughputRun.RunAsync(postgres, pgbench, quick);
    default:
        await Console.Error.WriteLineAsync("Usage: LongJobs.Benchmarks <throughput|latency|http|memory|postgres --postgres CONNECTION-STRING [--pgbench PATH]> [--quick]");
        return 2;
}

// The value after an option, or null when the option is absent.
string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
