using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Starting a job this server claimed can fail: the job then fails, and neither its slot nor the other claimed jobs are lost (issue 12).</summary>
public sealed class ClaimedJobStartTests
{
    [Fact]
    public async Task AClaimedJobWhoseRequestThrowsWhileItIsRead_FailsAndGivesBackItsSlot_AndTheJobsClaimedWithItRun()
    {
        await using var services = TestServices.Create(
            options => options.MaxConcurrency = 2,
            addJobs: jobs => jobs.AddJob<PickyJob, PickyRequest, GatedResult>("picky"));

        // Queued as another server, or an earlier version of this application, may have: this server's request type refuses it.
        var poisoned = await services.Store.InsertAsync(new JobRecord
        {
            Id = Guid.CreateVersion7(),
            Kind = "picky",
            CreatedAt = services.Time.GetUtcNow().AddSeconds(-1),
            Request = JsonSerializer.SerializeToElement(new { value = -1 }),
        });
        var next = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "next" });

        await services.Gates["next"].Started;
        services.Gates["next"].Release();
        await next.Task.WithSafetyTimeout();
        var failed = await FinishedAsync(services.Store, poisoned);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal("The job's request cannot be read.", failed.Error?.Title);

        // Both slots are free again: two jobs run at once.
        var first = await services.StartGatedAsync(services.Gates["first"]);
        var second = await services.StartGatedAsync(services.Gates["second"]);
        await services.Gates["first"].Started;
        await services.Gates["second"].Started;
        services.Gates.ReleaseAll();
        await Task.WhenAll(first.Task, second.Task).WithSafetyTimeout();
    }

    private static async Task<JobRecord> FinishedAsync(InMemoryJobStore store, JobRecord job)
    {
        while (!job.Status.IsFinished())
        {
            job = await store.WaitForChangeAsync(job.Id, job.Version).WithSafetyTimeout() ?? throw new InvalidOperationException($"Job {job.Id} was removed.");
        }

        return job;
    }

    /// <summary>A request whose value may not be negative: its setter throws, as a type's own validation may.</summary>
    public sealed record PickyRequest
    {
        private readonly int _value;

        public int Value
        {
            get => _value;
            init
            {
                ArgumentOutOfRangeException.ThrowIfNegative(value);
                _value = value;
            }
        }
    }

    public sealed class PickyJob : IJobHandler<PickyRequest, GatedResult>
    {
        public Task<GatedResult> ExecuteAsync(PickyRequest request, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new GatedResult { GateKey = "picky", DoubledValue = request.Value * 2, JobId = context.JobId });
    }
}
