using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Hangfire;
using Hangfire.InMemory;
using LongJobs.Server.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Benchmarks.Throughput;

/// <summary>
/// Starts <see cref="Jobs"/> no-op jobs and waits until every one has completed, once per invocation: LongJobs on
/// the in-memory store (ad-hoc and registered), the physical limit (raw <c>Task.Run</c> tracked in a
/// <see cref="ConcurrentDictionary{TKey, TValue}"/>), the classic <c>Dictionary&lt;Guid, Task&gt;</c> with
/// <c>Task.Factory.StartNew</c>, and Hangfire with Hangfire.InMemory and a <see cref="BackgroundJobServer"/>.
/// LongJobs and Hangfire run with their default concurrency (both <c>min(cores × 5, 20)</c> workers).
/// </summary>
[MemoryDiagnoser]
public class InProcessThroughputBenchmarks
{
    public const string JobsVariable = "LONGJOBS_BENCH_JOBS";

    private readonly ConcurrentDictionary<Guid, Task> _rawTasks = new();
    private readonly Dictionary<Guid, Task> _classicTasks = [];
    private IHost? _host;
    private IJobScheduler _scheduler = null!;
    private InMemoryStorage? _hangfireStorage;
    private BackgroundJobServer? _hangfireServer;
    private BackgroundJobClient _hangfireClient = null!;

    /// <summary>Jobs per invocation: <c>LONGJOBS_BENCH_JOBS</c>, else 20,000.</summary>
    [ParamsSource(nameof(JobCounts))]
    public int Jobs { get; set; }

    public static IEnumerable<int> JobCounts() =>
        [int.Parse(Environment.GetEnvironmentVariable(JobsVariable) ?? "20000", CultureInfo.InvariantCulture)];

    [GlobalSetup(Targets = [nameof(LongJobsAdHoc), nameof(LongJobsRegistered)])]
    public void StartLongJobs()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services
            .AddLongJobs(options => options.MaxQueuedJobs = Jobs)
            .AddJob<NoOpJob, NoOpRequest, NoOpResult>("no-op");
        _host = builder.Build();
        _host.StartAsync().GetAwaiter().GetResult();
        _scheduler = _host.Services.GetRequiredService<IJobScheduler>();
    }

    [GlobalCleanup(Targets = [nameof(LongJobsAdHoc), nameof(LongJobsRegistered)])]
    public void StopLongJobs()
    {
        _host!.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    [GlobalSetup(Target = nameof(Hangfire))]
    public void StartHangfire()
    {
        // Succeeded jobs expire after 10 s instead of hours, so the heap does not grow through the part (LongJobs
        // likewise keeps a bounded number of finished jobs): the option Hangfire.InMemory offers to bound its memory.
        _hangfireStorage = new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromSeconds(10) });
        _hangfireServer = new BackgroundJobServer(new BackgroundJobServerOptions(), _hangfireStorage);
        _hangfireClient = new BackgroundJobClient(_hangfireStorage);
    }

    [GlobalCleanup(Target = nameof(Hangfire))]
    public void StopHangfire()
    {
        _hangfireServer!.SendStop();
        _hangfireServer.Dispose();
        _hangfireStorage!.Dispose();
    }

    [Benchmark(Baseline = true, Description = "LongJobs, ad-hoc")]
    public async Task LongJobsAdHoc()
    {
        var tasks = new Task[Jobs];
        for (var i = 0; i < tasks.Length; i++)
        {
            var value = i;
            tasks[i] = (await _scheduler.StartAsync((_, _) => Task.FromResult(value))).Task;
        }

        await Task.WhenAll(tasks);
    }

    [Benchmark(Description = "LongJobs, registered kind")]
    public async Task LongJobsRegistered()
    {
        var tasks = new Task[Jobs];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = (await _scheduler.StartKindAsync("no-op", new NoOpRequest(i))).Task;
        }

        await Task.WhenAll(tasks);
    }

    [Benchmark(Description = "Task.Run + ConcurrentDictionary (limit)")]
    public async Task RawTaskRun()
    {
        for (var i = 0; i < Jobs; i++)
        {
            var value = i;
            _rawTasks[Guid.NewGuid()] = Task.Run(() => value);
        }

        await Task.WhenAll(_rawTasks.Values);
        _rawTasks.Clear();
    }

    [Benchmark(Description = "Dictionary<Guid, Task> + StartNew (classic)")]
    public async Task ClassicTaskDictionary()
    {
        for (var i = 0; i < Jobs; i++)
        {
            var value = i;
            var task = Task.Factory.StartNew(() => value, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
            lock (_classicTasks)
            {
                _classicTasks[Guid.NewGuid()] = task;
            }
        }

        Task[] all;
        lock (_classicTasks)
        {
            all = [.. _classicTasks.Values];
            _classicTasks.Clear();
        }

        await Task.WhenAll(all);
    }

    [Benchmark(Description = "Hangfire 1.8 + InMemory")]
    public async Task Hangfire()
    {
        CompletionCounter.Expect(Jobs);
        for (var i = 0; i < Jobs; i++)
        {
            var value = i;
            _hangfireClient.Enqueue(() => CompletionCounter.NoOp(value));
        }

        await CompletionCounter.Done.WaitAsync(TimeSpan.FromMinutes(10));
    }
}
