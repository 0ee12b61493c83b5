using System.Collections.Concurrent;
using System.Text.Json;
using CsCheck;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// The job state machine as a property: random sequences of the store's transitions (claims, starts, progress, retries,
/// hand-overs, cancel requests, finishes), with current and stale attempts, applied to a job and to a model of the
/// contract. Every change the model allows happens with a newer version, every other is refused and changes nothing,
/// a finished job never changes status again and is announced once, and no job is lost.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    /// <summary>How many random sequences the property tries against this store.</summary>
    protected virtual int StateMachineIterations => 300;

    private enum Step
    {
        Claim,
        Start,
        Progress,
        NextAttempt,
        Requeue,
        RequestCancellation,
        Succeed,
        Fail,
        Cancel,
        CancelQueued,
    }

    private static readonly Gen<(Step Step, bool Stale)[]> Sequences =
        Gen.Select(Gen.Enum<Step>(), Gen.Int[0, 4].Select(roll => roll == 0)).Array[1, 25];

    [Fact]
    public async Task NoSequenceOfTransitions_ReachesAnInvalidStateOrLosesTheJob()
    {
        var store = CreateStore();
        var announced = new ConcurrentDictionary<Guid, int>();
        store.JobFinished += job => announced.AddOrUpdate(job.Id, 1, (_, count) => count + 1);

        await Sequences.SampleAsync(
            async steps =>
            {
                var kind = UniqueKind();
                var job = await store.InsertAsync(NewJob(kind, T0) with { Request = JsonSerializer.SerializeToElement(new { }) });
                var model = new JobModel(job);
                foreach (var (step, stale) in steps)
                {
                    var attempt = stale ? model.Attempt - 1 : model.Attempt;
                    var expected = model.Apply(step, attempt);
                    var before = model.Current;
                    var after = await ApplyAsync(store, kind, job.Id, step, attempt);
                    if (expected is null)
                    {
                        Assert.True(after is null || step == Step.RequestCancellation, $"{step} (attempt {attempt}) changed a {before.Status} job in attempt {before.Attempt}.");
                        Assert.Equal(before.Version, (await store.GetAsync(job.Id))!.Version);
                        continue;
                    }

                    Assert.NotNull(after);
                    Assert.Equal((expected.Value.Status, expected.Value.Attempt, expected.Value.CancellationRequested), (after.Status, after.Attempt, after.CancellationRequested));
                    Assert.True(after.Version > before.Version, $"{step} changed the job without a newer version.");
                    model.Current = after;
                }

                var final = await store.GetAsync(job.Id);
                Assert.NotNull(final);
                Assert.Equal(model.Current.Version, final.Version);
                Assert.Equal(final.Status.IsFinished() ? 1 : 0, announced.GetValueOrDefault(job.Id));
            },
            iter: StateMachineIterations,
            threads: 1);
    }

    private static async Task<JobRecord?> ApplyAsync(IJobStore store, string kind, Guid id, Step step, int attempt) => step switch
    {
        Step.Claim => (await store.ClaimAsync([kind], 1, T0.AddSeconds(1))).SingleOrDefault(),
        Step.Start => await store.TryStartAsync(id, T0.AddSeconds(1)),
        Step.Progress => await store.TryReportProgressAsync(id, attempt, 0.5, "halfway"),
        Step.NextAttempt => await store.TryStartNextAttemptAsync(id, attempt, new JobRetry("again", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)),
        Step.Requeue => await store.TryRequeueAsync(id, attempt, "handed over", T0.AddSeconds(2)),
        Step.RequestCancellation => await store.RequestCancellationAsync(id, T0.AddSeconds(2)),
        Step.Succeed => await store.TryFinishAsync(id, JobStatus.Running, attempt, Succeeded(T0.AddSeconds(3))),
        Step.Fail => await store.TryFinishAsync(id, JobStatus.Running, attempt, new JobOutcome(JobStatus.Failed, T0.AddSeconds(3), Error: new JobError("urn:test", "failed"))),
        Step.Cancel => await store.TryFinishAsync(id, JobStatus.Running, attempt, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(3))),
        Step.CancelQueued => await store.TryFinishAsync(id, JobStatus.Queued, attempt, new JobOutcome(JobStatus.Canceled, T0.AddSeconds(3))),
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };

    /// <summary>What the contract says one job's transitions do.</summary>
    private sealed class JobModel(JobRecord inserted)
    {
        public JobRecord Current { get; set; } = inserted;

        public int Attempt => Current.Attempt;

        /// <returns>The status, attempt and cancel flag after <paramref name="step"/>, or <see langword="null"/> when it must change nothing.</returns>
        public (JobStatus Status, int Attempt, bool CancellationRequested)? Apply(Step step, int attempt)
        {
            var (status, current, requested) = (Current.Status, Current.Attempt, Current.CancellationRequested);
            var runningInAttempt = status == JobStatus.Running && attempt == current;
            return step switch
            {
                Step.Claim or Step.Start when status == JobStatus.Queued => (JobStatus.Running, current + 1, requested),
                Step.Progress when runningInAttempt => (status, current, requested),
                Step.NextAttempt when runningInAttempt => (status, current + 1, requested),
                Step.Requeue when runningInAttempt => (requested ? JobStatus.Canceled : JobStatus.Queued, current, requested),
                Step.RequestCancellation when status == JobStatus.Queued => (JobStatus.Canceled, current, true),
                Step.RequestCancellation when status == JobStatus.Running && !requested => (status, current, true),
                Step.Succeed when runningInAttempt => (JobStatus.Succeeded, current, requested),
                Step.Fail when runningInAttempt => (JobStatus.Failed, current, requested),
                Step.Cancel when runningInAttempt => (JobStatus.Canceled, current, requested),
                Step.CancelQueued when status == JobStatus.Queued && attempt == current => (JobStatus.Canceled, current, requested),
                _ => null,
            };
        }
    }
}
