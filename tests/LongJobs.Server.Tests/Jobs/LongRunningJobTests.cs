using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Jobs;

/// <summary>The job handle: its <see cref="LongRunningJob.Task"/> and its snapshot must agree.</summary>
public sealed class LongRunningJobTests
{
    [Fact]
    public async Task Task_WhenItCompletes_HandleAlreadyShowsTheFinalState()
    {
        // The synchronous scheduler runs the continuation at the very moment the Task completes, so it
        // sees exactly what the handle shows then: a follow-up reading job.Status or job.Result must not
        // find the job still Running.
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var job = await services.StartGatedAsync(gate, result: 5);

        var seen = job.Task.ContinueWith(
            _ => (job.Status, job.CompletedAt, Result: job.Status == JobStatus.Succeeded ? job.Result : -1),
            CancellationToken.None,
            TaskContinuationOptions.None,
            SynchronousTaskScheduler.Instance);
        gate.Release();

        var (status, completedAt, result) = await seen.WithSafetyTimeout();
        Assert.Equal(JobStatus.Succeeded, status);
        Assert.NotNull(completedAt);
        Assert.Equal(5, result);
    }

    [Fact]
    public async Task Task_WhenAFailedJobCompletes_HandleAlreadyShowsTheError()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var job = await services.Scheduler.StartAsync<int>(async (_, cancellationToken) =>
        {
            await gate.PassAsync(cancellationToken);
            throw new InvalidOperationException("boom");
        });

        var seen = job.Task.ContinueWith(
            _ => (job.Status, job.Error),
            CancellationToken.None,
            TaskContinuationOptions.None,
            SynchronousTaskScheduler.Instance);
        gate.Release();

        var (status, error) = await seen.WithSafetyTimeout();
        Assert.Equal(JobStatus.Failed, status);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task Result_BeforeTheJobSucceeded_Throws()
    {
        await using var services = TestServices.Create();
        var gate = new JobGate();
        var job = await services.StartGatedAsync(gate, result: 1);
        await gate.Started;

        var exception = Assert.Throws<InvalidOperationException>(() => job.Result);

        Assert.Contains(job.Id.ToString(), exception.Message, StringComparison.Ordinal);
        gate.Release();
        await job.Task.WithSafetyTimeout();
    }

    [Theory]
    [InlineData(JobStatus.Queued, false)]
    [InlineData(JobStatus.Running, false)]
    [InlineData(JobStatus.Succeeded, true)]
    [InlineData(JobStatus.Failed, true)]
    [InlineData(JobStatus.Canceled, true)]
    public void IsFinished_IsTrueOnlyForTheThreeFinalStatuses(JobStatus status, bool finished)
    {
        Assert.Equal(finished, status.IsFinished());
    }
}
