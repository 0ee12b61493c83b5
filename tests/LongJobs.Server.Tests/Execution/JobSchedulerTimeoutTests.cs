using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Execution;

/// <summary>A kind's timeout: an attempt that runs too long fails, whether or not it honours its token, and frees its slot.</summary>
public sealed class JobSchedulerTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnAttemptPastTheTimeout_FailsAsTimedOut_AndFreesItsSlot(bool honoursCancellation)
    {
        await using var services = Create();
        var stuck = await services.Scheduler.StartKindAsync("stuck", new StuckRequest { GateKey = "stuck", HonoursCancellation = honoursCancellation });
        await services.Gates["stuck"].Started;
        var next = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "next" });

        await services.Time.WaitForTimerAsync(Timeout);
        services.Time.Advance(Timeout);

        var timedOut = await Assert.ThrowsAsync<JobTimeoutException>(() => stuck.Task.WithSafetyTimeout());
        Assert.Equal(Timeout, timedOut.Timeout);
        var record = await services.GetRecordAsync(stuck.Id);
        Assert.Equal(JobStatus.Failed, record.Status);
        Assert.Equal("The job timed out.", record.Error?.Title);
        await services.Gates["next"].Started;
        services.Gates["next"].Release();
        await next.Task.WithSafetyTimeout();
    }

    [Fact]
    public async Task ATimeoutTheKindCallsTransient_IsRetried()
    {
        await using var services = Create(retryTimeouts: true);
        var job = await services.Scheduler.StartKindAsync("stuck", new StuckRequest { GateKey = "once", StuckAttempts = 1 });
        await services.Gates["once"].Started;

        await services.Time.WaitForTimerAsync(Timeout);
        services.Time.Advance(Timeout);

        var result = await ((LongRunningJob<GatedResult>)job).Task.WithSafetyTimeout();
        Assert.Equal("once", result.GateKey);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal((JobStatus.Succeeded, 2), (record.Status, record.Attempt));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ATimeoutOfZeroOrLess_IsRefusedWhenTheKindIsAdded(int seconds)
    {
        var exception = Assert.Throws<ArgumentException>(() => TestServices.Create(addJobs: jobs =>
            jobs.AddJob<StuckJob, StuckRequest, GatedResult>("stuck", kind => kind.Timeout = TimeSpan.FromSeconds(seconds))));

        Assert.Contains("timeout of job kind 'stuck'", exception.Message, StringComparison.Ordinal);
    }

    private static TestServices Create(bool retryTimeouts = false) =>
        TestServices.Create(
            options => options.MaxConcurrency = 1,
            addJobs: jobs => jobs.AddJob<StuckJob, StuckRequest, GatedResult>("stuck", kind =>
            {
                kind.Timeout = Timeout;
                if (retryTimeouts)
                {
                    kind.Retry.RetryOn<JobTimeoutException>().Delay = TimeSpan.Zero;
                }
            }));

    public sealed record StuckRequest
    {
        public required string GateKey { get; init; }

        public bool HonoursCancellation { get; init; }

        /// <summary>How many attempts wait at the gate before one returns at once.</summary>
        public int StuckAttempts { get; init; } = int.MaxValue;
    }

    /// <summary>Waits at its gate (honouring its token or not) in its first <see cref="StuckRequest.StuckAttempts"/> attempts.</summary>
    public sealed class StuckJob(JobGates gates) : IJobHandler<StuckRequest, GatedResult>
    {
        public async Task<GatedResult> ExecuteAsync(StuckRequest request, JobContext context, CancellationToken cancellationToken)
        {
            if (context.Attempt <= request.StuckAttempts)
            {
                var gate = gates[request.GateKey];
                await (request.HonoursCancellation ? gate.PassAsync(cancellationToken) : gate.PassIgnoringCancellationAsync());
            }

            return new GatedResult { GateKey = request.GateKey, DoubledValue = 0, JobId = context.JobId };
        }
    }
}
