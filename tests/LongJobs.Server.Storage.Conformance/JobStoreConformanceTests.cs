using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// The <see cref="IJobStore"/> contract, run against every store: derive, return a new empty store from
/// <see cref="CreateStore"/>, and every test here runs against it. Only the contract is tested here;
/// what one store does beyond it belongs in the derived class. One file per role of the store
/// (<c>JobStoreConformanceTests.Records.cs</c>, <c>.Queue.cs</c>, <c>.Attempts.cs</c>, <c>.ChangeFeed.cs</c>,
/// <c>.Deliveries.cs</c>, <c>.Retention.cs</c>), plus the deletes of single jobs and the state machine as a property.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store for one test.</summary>
    protected abstract IJobStore CreateStore();

    /// <summary>A job of a registered kind: it has a request, so any server with the kind may claim it.</summary>
    protected static JobRecord NewRegisteredJob(string kind, DateTimeOffset createdAt) =>
        NewJob(kind, createdAt) with { Request = JsonSerializer.SerializeToElement(new { n = 1 }), MaxAttempts = 3 };

    protected static JobRecord NewJob(string kind, DateTimeOffset createdAt) =>
        new() { Id = Guid.CreateVersion7(createdAt), Kind = kind, CreatedAt = createdAt };

    protected static JobOutcome Succeeded(DateTimeOffset completedAt, string resultJson = "null") =>
        new(JobStatus.Succeeded, completedAt, Result: JsonDocument.Parse(resultJson).RootElement.Clone());

    protected static async Task<JobRecord> InsertRunningAsync(IJobStore store, string kind, DateTimeOffset createdAt, string? owner = null)
    {
        var job = await store.InsertAsync(NewJob(kind, createdAt) with { Owner = owner });
        return await store.TryStartAsync(job.Id, createdAt.AddSeconds(1)) ?? throw new InvalidOperationException("The job did not start.");
    }

    protected static async Task<JobRecord> InsertFinishedAsync(IJobStore store, string kind, DateTimeOffset createdAt, DateTimeOffset finishedAt)
    {
        var job = await InsertRunningAsync(store, kind, createdAt);
        return await store.TryFinishAsync(job.Id, JobStatus.Running, 1, Succeeded(finishedAt)) ?? throw new InvalidOperationException("The job did not finish.");
    }

    /// <summary>
    /// Asserts two snapshots describe the same job state. JSON is compared by value: a store may give it back
    /// re-serialised (PostgreSQL's jsonb normalises spacing and key order).
    /// </summary>
    protected static void AssertSameJob(JobRecord? expected, JobRecord? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected with { Request = null, Result = null, Deliveries = [] }, actual with { Request = null, Result = null, Deliveries = [] });
        Assert.Equal(expected.Deliveries, actual.Deliveries);
        AssertSameJson(expected.Request, actual.Request);
        AssertSameJson(expected.Result, actual.Result);
    }

    private static void AssertSameJson(JsonElement? expected, JsonElement? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } left && actual is { } right)
        {
            Assert.True(JsonElement.DeepEquals(left, right), $"Expected JSON {left.GetRawText()}, got {right.GetRawText()}.");
        }
    }

    /// <summary>A retry of an attempt that failed at <paramref name="failedAt"/>, the next starting a second later.</summary>
    protected static JobRetry Retry(string message, DateTimeOffset failedAt, JobError? error = null) =>
        new(message, failedAt, failedAt.AddSeconds(1), error);

    private static string UniqueKind() => "k" + Guid.NewGuid().ToString("N")[..12];
}
