using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LongJobs.Benchmarks.Throughput;

/// <summary>Runs <see cref="InProcessThroughputBenchmarks"/> with BenchmarkDotNet and prints jobs/s, bytes per job and ratios to LongJobs.</summary>
internal static class InProcessThroughputRun
{
    /// <summary>
    /// Warm-up iterations before the nine measured ones: <c>LONGJOBS_BENCH_WARMUPS</c>, else 10. Each iteration runs
    /// every job once; on a 2-core machine the JIT's tiering (tier 0, then dynamic PGO's instrumented tier, then tier 1)
    /// and the GC's sizing were still settling after two (the measured iterations kept getting faster up to the ninth).
    /// Ten bring the table closer to the steady state a long-running server lives in; iterations still vary by a third
    /// on a small machine, so the table shows their median.
    /// </summary>
    public const string WarmupsVariable = "LONGJOBS_BENCH_WARMUPS";

    private static int WarmupCount() =>
        int.TryParse(Environment.GetEnvironmentVariable(WarmupsVariable), CultureInfo.InvariantCulture, out var warmups) && warmups > 0 ? warmups : 10;

    public static int Run(bool quick)
    {
        var jobs = int.TryParse(Environment.GetEnvironmentVariable(InProcessThroughputBenchmarks.JobsVariable), CultureInfo.InvariantCulture, out var asked)
            ? asked
            : quick ? 2_000 : 20_000;
        Environment.SetEnvironmentVariable(InProcessThroughputBenchmarks.JobsVariable, jobs.ToString(CultureInfo.InvariantCulture));

        // In-process toolchain: no generated project to build (the repository's strict build settings would apply to
        // it), so one run measures every peer in the same process, one after another, Hangfire last.
        var job = (quick
                ? Job.Dry.WithIterationCount(1)
                : Job.Default.WithLaunchCount(1).WithWarmupCount(WarmupCount()).WithIterationCount(9))
            .WithInvocationCount(1).WithUnrollFactor(1)
            .WithStrategy(quick ? RunStrategy.ColdStart : RunStrategy.Monitoring)
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(quick ? NullLogger.Instance : ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(Path.GetFullPath(Path.Combine("artifacts", "benchmarks", "BenchmarkDotNet")))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);

        // BenchmarkDotNet's log goes to standard error, so standard output holds only this part's table.
        var output = Console.Out;
        Console.SetOut(Console.Error);
        Summary summary;
        try
        {
            summary = BenchmarkRunner.Run<InProcessThroughputBenchmarks>(config);
        }
        finally
        {
            Console.SetOut(output);
        }

        Report.Heading($"In-process throughput: {jobs:N0} no-op jobs started and completed per invocation (BenchmarkDotNet, {(quick ? "1 iteration" : "median of 9 iterations")})");
        var rows = summary.Reports.Select(report => (
                Name: report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                Baseline: report.BenchmarkCase.Descriptor.Baseline,
                Median: report.ResultStatistics?.Median,
                Bytes: report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase)))
            .ToList();
        var failed = rows.Where(row => row.Median is null).Select(row => row.Name).ToList();
        var baseline = rows.FirstOrDefault(row => row.Baseline);
        double JobsPerSecond(double medianNanoseconds) => jobs / (medianNanoseconds / 1e9);
        Report.Table(
            ["", "jobs/s", "µs/job", "bytes allocated/job", "jobs/s ÷ LongJobs ad-hoc", "bytes/job ÷ LongJobs ad-hoc"],
            rows.Where(row => row.Median is not null).Select(row => (IReadOnlyList<string>)
            [
                row.Name,
                Report.N(JobsPerSecond(row.Median!.Value)),
                Report.N(row.Median!.Value / jobs / 1000, 2),
                row.Bytes is { } bytes ? Report.N((double)bytes / jobs) : "?",
                baseline.Median is { } b ? Report.Ratio(JobsPerSecond(row.Median!.Value) / JobsPerSecond(b)) : "?",
                baseline.Bytes is { } bb && row.Bytes is { } rb && bb > 0 ? Report.Ratio((double)rb / bb) : "?",
            ]));
        if (failed.Count > 0 || summary.HasCriticalValidationErrors)
        {
            Console.Error.WriteLine($"In-process throughput: no result for {string.Join(", ", failed)}; see the log above.");
            return 1;
        }

        return 0;
    }
}
