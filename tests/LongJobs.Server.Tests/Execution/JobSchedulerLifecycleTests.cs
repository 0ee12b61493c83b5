using System.Text.Json;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Ad-hoc jobs through <see cref="IJobScheduler"/>: every status transition, results, failures, progress.</summary>
public sealed class JobSchedulerLifecycleTests
{
    private sealed record Answer(int Value, string Text);

    [Fact]
    public async Task Start_WhenJobRunsAndSucceeds_MovesQueuedRunningSucceeded()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 1);
        var blocker = new JobGate();
        var gate = new JobGate();
        var blocking = await services.StartGatedAsync(blocker);
        await blocker.Started;

        var job = await services.StartGatedAsync(gate, result: 7);

        var queued = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Queued, queued.Status);
        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal(services.Time.GetUtcNow(), queued.CreatedAt);
        Assert.Null(queued.StartedAt);

        services.Time.Advance(TimeSpan.FromSeconds(1));
        blocker.Release();
        await gate.Started;

        var running = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Running, running.Status);
        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal(services.Time.GetUtcNow(), running.StartedAt);
        Assert.False(job.Task.IsCompleted);

        services.Time.Advance(TimeSpan.FromSeconds(1));
        gate.Release();
        Assert.Equal(7, await job.Task.WithSafetyTimeout());

        var succeeded = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Succeeded, succeeded.Status);
        Assert.Equal(services.Time.GetUtcNow(), succeeded.CompletedAt);
        Assert.Equal(1, succeeded.Progress);
        Assert.True(queued.Version < running.Version && running.Version < succeeded.Version);
        await blocking.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task Start_WithTypedResult_ExposesItOnTaskHandleAndStore()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.StartAsync((_, _) => Task.FromResult(new Answer(42, "forty-two")));
        var result = await job.Task.WithSafetyTimeout();

        Assert.Equal(new Answer(42, "forty-two"), result);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(new Answer(42, "forty-two"), job.Result);
        Assert.Equal("ad-hoc", job.Kind);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Succeeded, record.Status);
        Assert.Equal(42, record.Result!.Value.GetProperty("value").GetInt32());
        Assert.Equal("forty-two", record.Result.Value.GetProperty("text").GetString());
        Assert.Null(record.Error);
    }

    [Fact]
    public async Task Start_WithKindName_RecordsThatKind()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.StartAsync("nightly-report", (_, _) => Task.FromResult(1));
        await job.Task.WithSafetyTimeout();

        Assert.Equal("nightly-report", job.Kind);
        Assert.Equal("nightly-report", (await services.GetRecordAsync(job.Id)).Kind);
    }

    [Fact]
    public async Task Start_WithoutResult_RunsTheWorkAndSucceeds()
    {
        await using var services = TestServices.Create();
        var ran = false;

        LongRunningJob job = await services.Scheduler.StartAsync((JobContext _, CancellationToken _) =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        await job.Task.WithSafetyTimeout();

        Assert.True(ran);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Succeeded, record.Status);
        Assert.True(record.Result is null || record.Result.Value.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task Task_ContinueWith_RunsTheFollowUpWithTheResult()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var job = await services.StartGatedAsync(gate, result: 21);

        var followUp = job.Task.ContinueWith(task => task.Result * 2, TaskScheduler.Default);
        Assert.False(followUp.IsCompleted);
        gate.Release();

        Assert.Equal(42, await followUp.WithSafetyTimeout());
    }

    [Fact]
    public async Task Start_WhenWorkThrows_FaultsTaskWithTheOriginalExceptionAndRecordsAGenericError()
    {
        await using var services = TestServices.Create();
        var thrown = new InvalidOperationException("database password is hunter2");

        var job = await services.Scheduler.StartAsync<int>((_, _) => throw thrown);

        var caught = await Assert.ThrowsAsync<InvalidOperationException>(() => job.Task.WithSafetyTimeout());
        Assert.Same(thrown, caught);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Throws<InvalidOperationException>(() => job.Result);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Failed, record.Status);
        Assert.NotNull(record.Error);
        Assert.Equal(record.Error, job.Error);
        Assert.Equal("urn:longjobs:problem:job-failed", record.Error.Type);
        Assert.DoesNotContain("hunter2", record.Error.Detail, StringComparison.Ordinal);
        Assert.Contains(job.Id.ToString(), record.Error.Detail, StringComparison.Ordinal);
        Assert.Null(record.Error.ExceptionType);
        Assert.Null(record.Result);
    }

    [Fact]
    public async Task Start_WhenWorkThrowsAndDetailsAreIncluded_RecordsExceptionTypeAndMessage()
    {
        await using var services = TestServices.Create(options => options.IncludeExceptionDetails = true);

        var job = await services.Scheduler.StartAsync<int>((_, _) => throw new InvalidOperationException("visible message"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => job.Task.WithSafetyTimeout());

        var error = (await services.GetRecordAsync(job.Id)).Error!;
        Assert.Equal("visible message", error.Detail);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.ExceptionType);
    }

    [Fact]
    public async Task Start_WhenWorkThrowsInDevelopment_IncludesDetailsByDefault()
    {
        await using var services = TestServices.Create(environmentName: "Development");

        var job = await services.Scheduler.StartAsync<int>((_, _) => throw new InvalidOperationException("dev message"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => job.Task.WithSafetyTimeout());

        Assert.Equal("dev message", (await services.GetRecordAsync(job.Id)).Error!.Detail);
    }

    [Fact]
    public async Task Start_WhenWorkThrowsOperationCanceledWithoutBeingCanceled_Fails()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.StartAsync<int>((_, _) => throw new OperationCanceledException("a timeout inside the job"));

        await Assert.ThrowsAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Failed, (await services.GetRecordAsync(job.Id)).Status);
    }

    [Fact]
    public async Task ReportProgress_WhileRunning_UpdatesStoreAndHandle()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var job = await services.Scheduler.StartAsync(async (context, cancellationToken) =>
        {
            await context.ReportProgressAsync(0.25, "a quarter", cancellationToken);
            reported.SetResult();
            await gate.PassAsync(cancellationToken);
            return context.JobId;
        });
        await reported.Task.WithSafetyTimeout();

        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(0.25, record.Progress);
        Assert.Equal("a quarter", record.ProgressMessage);
        Assert.Equal(0.25, job.Progress);
        Assert.Equal("a quarter", job.ProgressMessage);

        gate.Release();
        Assert.Equal(job.Id, await job.Task.WithSafetyTimeout());
    }

    [Fact]
    public async Task ReportProgress_WithAZeroWriteInterval_WritesEveryReport()
    {
        await using var services = TestServices.Create(options => options.ProgressWriteInterval = TimeSpan.Zero);
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new JobGate();

        var job = await services.Scheduler.StartAsync(async (context, cancellationToken) =>
        {
            await context.ReportProgressAsync(0.1, null, cancellationToken);
            await context.ReportProgressAsync(0.2, null, cancellationToken);
            reported.SetResult();
            await gate.PassAsync(cancellationToken);
            return 0;
        });
        await reported.Task.WithSafetyTimeout();

        Assert.Equal(0.2, (await services.GetRecordAsync(job.Id)).Progress);
        gate.Release();
        await job.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ReportProgress_WithInvalidValues_ThrowsInsideTheJob()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.StartAsync(async (context, cancellationToken) => new[]
        {
            await CatchAsync(() => context.ReportProgressAsync(1.5, null, cancellationToken)),
            await CatchAsync(() => context.ReportProgressAsync(-0.1, null, cancellationToken)),
            await CatchAsync(() => context.ReportProgressAsync(double.NaN, null, cancellationToken)),
            await CatchAsync(() => context.ReportProgressAsync(0.5, new string('x', JobContext.MaxProgressMessageLength + 1), cancellationToken)),
        });
        var errors = await job.Task.WithSafetyTimeout();

        Assert.Equal(
            new string?[] { nameof(ArgumentOutOfRangeException), nameof(ArgumentOutOfRangeException), nameof(ArgumentOutOfRangeException), nameof(ArgumentException) },
            errors);
        Assert.Equal(1, (await services.GetRecordAsync(job.Id)).Progress);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Capitals")]
    [InlineData("has space")]
    [InlineData("1starts-with-digit")]
    public async Task Start_WithInvalidKindName_Throws(string kind)
    {
        await using var services = TestServices.Create();

        await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartAsync(kind, (_, _) => Task.FromResult(1)));
        Assert.Empty(services.Scheduler.GetActiveJobs());
    }

    [Fact]
    public async Task Start_WithTheNameOfARegisteredKind_Throws()
    {
        await using var services = TestServices.Create();

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartAsync("gated", (_, _) => Task.FromResult(1)));

        Assert.Equal("kind", exception.ParamName);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task GetActiveJobs_ListsQueuedAndRunningJobsOnly()
    {
        await using var services = TestServices.Create(options => options.MaxConcurrency = 1);
        var finished = await services.Scheduler.StartAsync("finished", (_, _) => Task.FromResult(0));
        var runningGate = new JobGate();
        var running = await services.StartGatedAsync(runningGate);
        var queued = await services.StartGatedAsync(new JobGate());

        // With one slot, the second job starts only once the first has finished and given its slot back.
        await runningGate.Started;

        Assert.True(services.Scheduler.TryGetActiveJob(running.Id, out var found));
        Assert.Same(running, found);
        Assert.Equal(
            new[] { running.Id, queued.Id }.Order(),
            services.Scheduler.GetActiveJobs().Select(job => job.Id).Order());
        Assert.False(services.Scheduler.TryGetActiveJob(finished.Id, out _));
        Assert.False(services.Scheduler.TryGetActiveJob(Guid.NewGuid(), out _));
    }

    /// <summary>The name of the exception's type, or <see langword="null"/> when the report was accepted.</summary>
    private static async Task<string?> CatchAsync(Func<ValueTask> report)
    {
        try
        {
            await report();
            return null;
        }
        catch (Exception exception)
        {
            return exception.GetType().Name;
        }
    }
}
