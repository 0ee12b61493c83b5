using LongJobs.Server.Execution;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.PostgreSql.Tests;

/// <summary>
/// A recurring schedule on two nodes sharing one database, in real time: every occurrence starts exactly one job
/// across both (none twice, none missed), with no leader.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class RecurringSchedulesTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const int Occurrences = 6;
    private readonly JobGates _gates = new();
    private readonly TaskCompletionSource _enoughFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TestNodes _nodes = new(server);
    private int _finished;

    public Task InitializeAsync() => _nodes.CreateDatabaseAsync();

    [Fact]
    public async Task TwoNodes_StartEachOccurrenceOfAScheduleEverySecond_ExactlyOnce()
    {
        // A node without the schedule stores it first, done up to half a second past a whole second: the occurrences
        // are then every whole second after that.
        var seed = await _nodes.StartAsync(longJobs => longJobs.AddJob<GatedJob, GatedRequest, GatedResult>("other"));
        var now = DateTimeOffset.UtcNow;
        var doneFrom = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddMilliseconds(500);
        await seed.Services.GetRequiredService<IJobSchedules>().AddSchedulesAsync(["tick"], doneFrom);
        _gates["tick"].Release();

        var nodeA = await StartNodeAsync();
        var nodeB = await StartNodeAsync();
        await _enoughFinished.Task.WithSafetyTimeout();
        foreach (var node in new[] { nodeA, nodeB })
        {
            await node.StopAsync();
        }

        var store = seed.Services.GetRequiredService<IJobStore>();
        var doneUntil = Assert.Single(await store.GetSchedulesAsync()).DoneUntil;
        var jobs = (await store.ListAsync(new JobQuery { Kind = "ticks", PageSize = JobQuery.MaxPageSize })).Items;
        var firstDue = doneFrom.AddMilliseconds(500);
        var expected = (int)(doneUntil - firstDue).TotalSeconds + 1;
        Assert.True(expected >= Occurrences, $"The schedule is done up to {doneUntil:O}, from {doneFrom:O}.");
        Assert.Equal(expected, jobs.Count);
        Assert.All(jobs, job => Assert.InRange(job.CreatedAt, firstDue, doneUntil.AddMinutes(1)));
    }

    public async Task DisposeAsync()
    {
        _gates.ReleaseAll();
        await _nodes.StopAllAsync();
    }

    private Task<WebApplication> StartNodeAsync() =>
        _nodes.StartAsync(
            longJobs => longJobs
                .AddJob<GatedJob, GatedRequest, GatedResult>("ticks", kind => kind.AddSchedule("tick", "* * * * * *", new GatedRequest { GateKey = "tick" }))
                .OnJobFinished((_, _) =>
                {
                    if (Interlocked.Increment(ref _finished) >= Occurrences)
                    {
                        _enoughFinished.TrySetResult();
                }

                return Task.CompletedTask;
            }),
        services => services.AddSingleton(_gates));
}
