using LongJobs.Benchmarks.Http;
using LongJobs.Benchmarks.Latency;
using LongJobs.Benchmarks.Memory;
using LongJobs.Benchmarks.PostgreSql;
using LongJobs.Benchmarks.Throughput;

// Usage: LongJobs.Benchmarks <throughput|latency|http|memory|postgres> [--quick] [--postgres CONNECTION-STRING]
// benchmarks/run.sh builds this project and runs every part; each part prints Markdown tables and exits non-zero
// when a measurement breaks (a job fails, a request errs, a peer does not finish in time).
var part = args.FirstOrDefault(arg => !arg.StartsWith("--", StringComparison.Ordinal)) ?? string.Empty;
var quick = args.Contains("--quick");
var postgresIndex = Array.IndexOf(args, "--postgres");
var postgres = postgresIndex >= 0 && postgresIndex + 1 < args.Length ? args[postgresIndex + 1] : null;

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
        return await PostgreSqlThroughputRun.RunAsync(postgres, quick);
    default:
        await Console.Error.WriteLineAsync("Usage: LongJobs.Benchmarks <throughput|latency|http|memory|postgres --postgres CONNECTION-STRING> [--quick]");
        return 2;
}
