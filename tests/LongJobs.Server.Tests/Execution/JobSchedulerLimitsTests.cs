using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary><see cref="LongJobsOptions.MaxConcurrency"/>, <see cref="LongJobsOptions.MaxQueuedJobs"/> and <see cref="LongJobsOptions.MaxResultSize"/>.</summary>
public sealed class JobSchedulerLimitsTests
{
    [Fact]
    public async Task Start_MoreJobsThanMaxConcurrency_RunsOnlyThatManyAndQueuesTheRestInOrder()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 2);
        var gates = Enumerable.Range(0, 5).Select(_ => new JobGate()).ToArray();
        var jobs = new List<LongRunningJob<int>>();
        foreach (var (gate, index) in gates.Select((gate, index) => (gate, index)))
        {
            jobs.Add(await services.StartGatedAsync(gate, index));
        }

        await gates[0].Started;
        await gates[1].Started;

        Assert.Equal([JobStatus.Running, JobStatus.Running, JobStatus.Queued, JobStatus.Queued, JobStatus.Queued], await StatusesAsync(services, jobs));
        Assert.Equal(2, await CountAsync(services.Store, JobStatus.Running));
        Assert.Equal(3, await CountAsync(services.Store, JobStatus.Queued));
        Assert.False(gates[2].HasStarted || gates[3].HasStarted || gates[4].HasStarted);

        gates[0].Release();
        await gates[2].Started;

        Assert.Equal([JobStatus.Succeeded, JobStatus.Running, JobStatus.Running, JobStatus.Queued, JobStatus.Queued], await StatusesAsync(services, jobs));
        Assert.False(gates[3].HasStarted || gates[4].HasStarted);

        foreach (var gate in gates)
        {
            gate.Release();
        }

        var results = await Task.WhenAll(jobs.Select(job => job.Task)).WithSafetyTimeout();
        Assert.Equal([0, 1, 2, 3, 4], results);
    }

    [Fact]
    public async Task Start_WhenQueueIsFull_ThrowsJobRejectedWithQueueFullAndRetryAfter()
    {
        var retryAfter = TimeSpan.FromSeconds(7);
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
            options.QueueFullRetryAfter = retryAfter;
        });
        var runningGate = new JobGate();
        var running = await services.StartGatedAsync(runningGate);
        var queued = await services.StartGatedAsync(new JobGate());

        var rejected = await Assert.ThrowsAsync<JobRejectedException>(() => services.StartGatedAsync(new JobGate()));

        Assert.Equal(JobRejectionReason.QueueFull, rejected.Reason);
        Assert.Equal(retryAfter, rejected.RetryAfter);
        Assert.Equal(2, services.Store.Count);
        Assert.Equal(2, services.Scheduler.GetActiveJobs().Count);
        await runningGate.Started;
    }

    [Fact]
    public async Task Start_WhenTheResultIsLargerThanMaxResultSize_FailsWithAClearProblemAndFaultsTheTask()
    {
        await using var services = TestServices.Create(options => options.MaxResultSize = 100);

        var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(new string('x', 200)));

        await Assert.ThrowsAnyAsync<Exception>(() => job.Task.WithSafetyTimeout());
        Assert.True(job.Task.IsFaulted);
        Assert.Equal(JobStatus.Failed, job.Status);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Failed, record.Status);
        Assert.Equal("The job's result is too large.", record.Error!.Title);
        Assert.Null(record.Result);
    }

    [Fact]
    public async Task Start_AfterAQueuedJobIsCanceled_AcceptsANewJob()
    {
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
        });
        var runningGate = new JobGate();
        var running = await services.StartGatedAsync(runningGate);
        var queued = await services.StartGatedAsync(new JobGate());
        await Assert.ThrowsAsync<JobRejectedException>(() => services.StartGatedAsync(new JobGate()));

        await services.Scheduler.CancelAsync(queued.Id);
        var accepted = await services.StartGatedAsync(new JobGate());

        Assert.Equal(JobStatus.Queued, accepted.Status);
    }

    [Fact]
    public async Task Start_AfterARunningJobIsCanceled_AcceptsANewJob()
    {
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 0;
        });
        var runningGate = new JobGate();
        var running = await services.StartGatedAsync(runningGate);
        await runningGate.Started;
        await Assert.ThrowsAsync<JobRejectedException>(() => services.StartGatedAsync(new JobGate()));

        await services.Scheduler.CancelAsync(running.Id);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.Task.WithSafetyTimeout());
        var nextGate = new JobGate();
        var next = await services.StartGatedAsync(nextGate, result: 3);
        nextGate.Release();

        Assert.Equal(3, await next.Task.WithSafetyTimeout());
    }

    [Fact]
    public async Task Start_FromAContinuationOfTheJobThatHeldTheLastSlot_IsAccepted()
    {
        // A follow-up that starts the next job as soon as the previous one's Task completes must find the
        // previous job's capacity free. The synchronous scheduler runs the follow-up at the very moment the
        // Task completes, so the test does not depend on thread timing.
        await using var services = TestServices.Create(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 0;
        });
        var gate = new JobGate();
        var first = await services.StartGatedAsync(gate, result: 1);

        var followUp = first.Task.ContinueWith(
            _ => services.Scheduler.StartAsync((_, _) => Task.FromResult(2)),
            CancellationToken.None,
            TaskContinuationOptions.None,
            SynchronousTaskScheduler.Instance).Unwrap();
        gate.Release();
        var second = await followUp.WithSafetyTimeout();

        Assert.Equal(2, await second.Task.WithSafetyTimeout());
    }

    private static async Task<JobStatus[]> StatusesAsync(TestServices services, IEnumerable<LongRunningJob> jobs)
    {
        var statuses = new List<JobStatus>();
        foreach (var job in jobs)
        {
            statuses.Add((await services.GetRecordAsync(job.Id)).Status);
        }

        return [.. statuses];
    }

    private static async Task<int> CountAsync(InMemoryJobStore store, JobStatus status) =>
        (await store.ListAsync(new JobQuery { Status = status, PageSize = JobQuery.MaxPageSize })).Items.Count;
}
