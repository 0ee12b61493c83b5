using System.Collections.Concurrent;
using System.Diagnostics;
using LongJobs.Client.Tests.Sample;
using LongJobs.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using ClientPrimesRequest = LongJobs.Client.Tests.Sample.PrimesRequest;
using PrimesJob = LongJobs.Sample.Jobs.PrimesJob;
using ServerPrimesRequest = LongJobs.Sample.Jobs.PrimesRequest;
using ServerPrimesResult = LongJobs.Sample.Jobs.PrimesResult;

namespace LongJobs.Client.Tests.Reliability;

/// <summary>Runs alone, so no other test's work shows in its timing or its heap.</summary>
[CollectionDefinition(nameof(LoadTests), DisableParallelization = true)]
public sealed class LoadTestsCollectionDefinition;

/// <summary>
/// Issue 6, load: many clients start far more jobs than the server queues, through the generated client and the
/// waiting layer, against a server whose <c>primes</c> kind is the sample's, counted per job ID.
/// </summary>
[Collection(nameof(LoadTests))]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Jobs = 10_000;
    private const int Clients = 50;

    /// <summary>Jobs a client has started and not yet awaited: 50 × 25 is more than the server queues and runs.</summary>
    private const int Window = 25;

    private const int MaxQueuedJobs = 1_000;

    /// <summary>
    /// More than the jobs awaited at once (<see cref="Clients"/> × <see cref="Window"/>), as README advises: with fewer, a
    /// job could finish and be pushed out by newer ones before its client asks for it, and read as 404.
    /// </summary>
    private const int MaxRetainedJobs = 2_000;

    /// <summary>
    /// A coarse leak detector, not a measurement: the run leaves about 2 MiB behind, while keeping its 10,000 jobs
    /// (with their requests, results and keys) would add about 15 MiB.
    /// </summary>
    private const long MaxHeapGrowth = 8 * 1024 * 1024;

    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TenThousandStarts_AgainstAQueueOf1000_AreAllAcceptedRunOnceAndAwaited_AndMemoryReturnsToBaseline()
    {
        var runs = new JobRuns();
        await using var server = await StartServerAsync(runs);
        using var clients = CreateClients(server);

        // Warm-up: fills retention and compiles every path, so the baseline is the server at rest with its retained jobs kept.
        runs.Release();
        await RunAsync(clients, 2 * MaxRetainedJobs).WaitAsync(RunLimit);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        runs.Reset();

        var clock = Stopwatch.StartNew();
        var results = await RunAsync(clients, Jobs).WaitAsync(RunLimit);
        clock.Stop();
        var heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var retained = await CountRetainedAsync(clients.GetRequiredService<SampleJobsClient>());
        output.WriteLine($"{Jobs} jobs in {clock.Elapsed.TotalSeconds:F1} s; {runs.QueueFullAnswers} answers 429; heap {heapGrowth / 1024 / 1024.0:F1} MiB above the baseline; {retained} jobs retained.");

        Assert.True(runs.QueueFullAnswers > 0, "The queue never filled: the back-off path was not exercised.");
        Assert.Equal(Jobs, results.Count);
        var expected = results.Select(result => result.Request.Below).Distinct().ToDictionary(below => below, PrimesBelow);
        Assert.All(results, result => Assert.Equal(expected[result.Request.Below], (result.Value.Below, result.Value.Count, result.Value.Largest)));
        Assert.Equal(results.Select(result => result.Id).Order(), runs.Counts.Keys.Order());
        Assert.All(runs.Counts, run => Assert.Equal(1, run.Value));
        Assert.Equal(MaxRetainedJobs, retained);
        Assert.True(heapGrowth < MaxHeapGrowth, $"The heap grew by {heapGrowth:N0} bytes over the run.");
    }

    /// <summary>
    /// <see cref="Clients"/> clients start <paramref name="count"/> jobs between them, each keeping at most
    /// <see cref="Window"/> unawaited, and await every one to its result.
    /// </summary>
    private static async Task<List<Finished>> RunAsync(ServiceProvider clients, int count)
    {
        var next = -1;
        var finished = new ConcurrentBag<Finished>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            var api = clients.GetRequiredService<SampleJobsClient>();
            var pending = new Queue<Task>();
            for (var index = Interlocked.Increment(ref next); index < count; index = Interlocked.Increment(ref next))
            {
                if (pending.Count == Window)
                {
                    await pending.Dequeue();
                }

                var request = new ClientPrimesRequest { Below = 2 + (index % 1_000) };
                var started = await api.StartPrimesJobAsync(request);
                pending.Enqueue(AwaitAsync(started, request, finished));
            }

            await Task.WhenAll(pending);
        })));
        return [.. finished];
    }

    private static async Task AwaitAsync(JobOperation<PrimesResult> started, ClientPrimesRequest request, ConcurrentBag<Finished> finished)
    {
        var value = await started.WaitForCompletionAsync();
        finished.Add(new Finished(started.Id, request, value));
    }

    private static async Task<int> CountRetainedAsync(SampleJobsClient api)
    {
        var count = 0;
        string? pageToken = null;
        do
        {
            var page = await api.ListJobsAsync(pageSize: 100, pageToken: pageToken);
            count += page.Items.Count;
            pageToken = page.NextPageToken;
        }
        while (pageToken is not null);
        return count;
    }

    /// <summary>The bound, how many primes are below it, and the largest, by trial division.</summary>
    private static (int Below, int Count, int Largest) PrimesBelow(int below)
    {
        var primes = Enumerable.Range(2, below - 2).Where(n => Enumerable.Range(2, (int)Math.Sqrt(n) - 1).All(d => n % d != 0)).ToList();
        return (below, primes.Count, primes.LastOrDefault());
    }

    private static async Task<WebApplication> StartServerAsync(JobRuns runs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(runs);
        builder.Services
            .AddLongJobs(options =>
            {
                options.MaxConcurrency = 16;
                options.MaxQueuedJobs = MaxQueuedJobs;
                options.MaxRetainedJobs = MaxRetainedJobs;
                options.QueueFullRetryAfter = TimeSpan.FromSeconds(1);
            })
            .AddJob<CountedPrimesJob, ServerPrimesRequest, ServerPrimesResult>("primes");

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status429TooManyRequests)
            {
                runs.QueueWasFull();
            }
        });
        app.UseExceptionHandler();
        app.MapLongJobs();
        await app.StartAsync();
        return app;
    }

    private static ServiceProvider CreateClients(WebApplication server)
    {
        var services = new ServiceCollection();
        services.AddLongJobsClient<SampleJobsClient>(options =>
            {
                options.BaseAddress = new Uri("http://localhost/");
                options.MaxRetryAttempts = 10;
            })
            .ConfigurePrimaryHttpMessageHandler(() => server.GetTestServer().CreateHandler());
        return services.BuildServiceProvider();
    }

    private sealed record Finished(Guid Id, ClientPrimesRequest Request, PrimesResult Value);

    /// <summary>What the server ran, by job ID; its jobs wait until the queue has been full once.</summary>
    private sealed class JobRuns
    {
        private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ConcurrentDictionary<Guid, int> _counts = new();
        private int _queueFullAnswers;

        public IReadOnlyDictionary<Guid, int> Counts => _counts;

        public int QueueFullAnswers => Volatile.Read(ref _queueFullAnswers);

        public Task Released => _released.Task;

        public void Release() => _released.TrySetResult();

        /// <summary>Forgets the warm-up: counts start again, and jobs wait for the queue to fill.</summary>
        public void Reset()
        {
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _counts = new ConcurrentDictionary<Guid, int>();
            _queueFullAnswers = 0;
        }

        public void Ran(Guid id) => _counts.AddOrUpdate(id, 1, static (_, runs) => runs + 1);

        public void QueueWasFull()
        {
            Interlocked.Increment(ref _queueFullAnswers);
            Release();
        }
    }

    /// <summary>The sample's primes job, counting its runs and holding back until <see cref="JobRuns.Released"/>.</summary>
    private sealed class CountedPrimesJob(JobRuns runs) : IJobHandler<ServerPrimesRequest, ServerPrimesResult>
    {
        public async Task<ServerPrimesResult> ExecuteAsync(ServerPrimesRequest request, JobContext context, CancellationToken cancellationToken)
        {
            runs.Ran(context.JobId);
            await runs.Released.WaitAsync(cancellationToken);
            return await new PrimesJob().ExecuteAsync(request, context, cancellationToken);
        }
    }
}
