using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.Conformance;

/// <summary>
/// Recurring schedules' state (<see cref="IJobSchedules"/>): each occurrence is marked done once, with its job, whoever
/// tries it; paused schedules start nothing and skip what came due while paused.
/// </summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task AddSchedules_StoresNewOnesDoneUpToNow_AndLeavesKnownOnesAlone()
    {
        var store = CreateStore();
        var (first, second) = (UniqueSchedule(), UniqueSchedule());

        await store.AddSchedulesAsync([first], T0);
        await store.AddSchedulesAsync([first, second], T0.AddHours(1));

        var states = await store.GetSchedulesAsync();
        Assert.Equal(new StoredSchedule(first, T0, LastRunAt: null, LastJobId: null, PausedAt: null), states.Single(state => state.Name == first));
        Assert.Equal(new StoredSchedule(second, T0.AddHours(1), null, null, null), states.Single(state => state.Name == second));
    }

    [Fact]
    public async Task AdvanceSchedule_InsertsTheOccurrencesJob_AndMarksItDone_Once()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();
        await store.AddSchedulesAsync([schedule], T0);
        var due = T0.AddMinutes(5);
        var job = NewRegisteredJob(UniqueKind(), due) with { Priority = 3 };

        var advance = await store.AdvanceScheduleAsync(schedule, due, job);
        var again = await store.AdvanceScheduleAsync(schedule, due, NewRegisteredJob(job.Kind, due));
        var earlier = await store.AdvanceScheduleAsync(schedule, due.AddMinutes(-1), NewRegisteredJob(job.Kind, due));

        Assert.True(advance.Advanced);
        AssertSameJob(await store.GetAsync(job.Id), advance.Job);
        Assert.Equal(JobStatus.Queued, advance.Job!.Status);
        Assert.Equal(3, advance.Job.Priority);
        Assert.Equal(new ScheduleAdvance(false, null), again);
        Assert.Equal(new ScheduleAdvance(false, null), earlier);
        Assert.Equal(1, await store.CountQueuedAsync(10));
        Assert.Equal(new StoredSchedule(schedule, due, due, job.Id, null), (await store.GetSchedulesAsync()).Single(state => state.Name == schedule));
        Assert.Equal([job.Id], (await store.ClaimAsync([job.Kind], 10, due.AddSeconds(1))).Select(claimed => claimed.Id));
    }

    [Fact]
    public async Task AdvanceSchedule_RacingForOneOccurrence_StartsOneJob()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();
        var kind = UniqueKind();
        await store.AddSchedulesAsync([schedule], T0);
        var due = T0.AddMinutes(1);

        var advances = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await store.AdvanceScheduleAsync(schedule, due, NewRegisteredJob(kind, due)))));

        var winner = Assert.Single(advances, advance => advance.Advanced);
        Assert.NotNull(winner.Job);
        Assert.All(advances.Where(advance => !advance.Advanced), advance => Assert.Null(advance.Job));
        Assert.Equal(1, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task AdvanceSchedule_WithoutAJob_SkipsTheOccurrence_KeepingTheLastRun()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();
        await store.AddSchedulesAsync([schedule], T0);
        var ran = NewRegisteredJob(UniqueKind(), T0.AddMinutes(1));
        await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(1), ran);

        var skipped = await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(9), job: null);

        Assert.Equal(new ScheduleAdvance(true, null), skipped);
        Assert.Equal(new StoredSchedule(schedule, T0.AddMinutes(9), T0.AddMinutes(1), ran.Id, null), (await store.GetSchedulesAsync()).Single(state => state.Name == schedule));
        Assert.Equal(1, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task AdvanceSchedule_WhileTheKindsUniqueKeyIsHeld_MarksTheOccurrenceDone_WithoutAJob()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();
        var kind = UniqueKind();
        await store.AddSchedulesAsync([schedule], T0);
        var first = await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(1), NewRegisteredJob(kind, T0.AddMinutes(1)) with { UniqueKey = "nightly" });

        var second = await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(2), NewRegisteredJob(kind, T0.AddMinutes(2)) with { UniqueKey = "nightly" });

        Assert.NotNull(first.Job);
        Assert.Equal(new ScheduleAdvance(true, null), second);
        Assert.Equal(new StoredSchedule(schedule, T0.AddMinutes(2), T0.AddMinutes(1), first.Job.Id, null), (await store.GetSchedulesAsync()).Single(state => state.Name == schedule));
        Assert.Equal(1, await store.CountQueuedAsync(10));
    }

    [Fact]
    public async Task AdvanceSchedule_OfAPausedOrUnknownSchedule_DoesNothing_AndResumeSkipsWhatCameDueMeanwhile()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();
        await store.AddSchedulesAsync([schedule], T0);

        var paused = await store.PauseScheduleAsync(schedule, T0.AddMinutes(1));
        var pausedAgain = await store.PauseScheduleAsync(schedule, T0.AddMinutes(2));
        var whilePaused = await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(3), NewRegisteredJob(UniqueKind(), T0.AddMinutes(3)));
        var unknown = await store.AdvanceScheduleAsync(UniqueSchedule(), T0.AddMinutes(3), NewRegisteredJob(UniqueKind(), T0.AddMinutes(3)));

        Assert.Equal(new StoredSchedule(schedule, T0, null, null, T0.AddMinutes(1)), paused);
        Assert.Equal(paused, pausedAgain);
        Assert.Equal(new ScheduleAdvance(false, null), whilePaused);
        Assert.Equal(new ScheduleAdvance(false, null), unknown);
        Assert.Equal(0, await store.CountQueuedAsync(10));

        Assert.True(await store.ResumeScheduleAsync(schedule, T0.AddMinutes(10)));
        Assert.False(await store.ResumeScheduleAsync(schedule, T0.AddMinutes(11)));
        Assert.Equal(new StoredSchedule(schedule, T0.AddMinutes(10), null, null, null), (await store.GetSchedulesAsync()).Single(state => state.Name == schedule));
        Assert.False((await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(5), job: null)).Advanced);
        Assert.True((await store.AdvanceScheduleAsync(schedule, T0.AddMinutes(11), job: null)).Advanced);
    }

    [Fact]
    public async Task PauseSchedule_OfOneNotStoredYet_AddsItPaused()
    {
        var store = CreateStore();
        var schedule = UniqueSchedule();

        var paused = await store.PauseScheduleAsync(schedule, T0);
        await store.AddSchedulesAsync([schedule], T0.AddMinutes(1));

        Assert.Equal(new StoredSchedule(schedule, T0, null, null, T0), paused);
        Assert.Equal(paused, (await store.GetSchedulesAsync()).Single(state => state.Name == schedule));
        Assert.False(await store.ResumeScheduleAsync(UniqueSchedule(), T0));
    }

    private static string UniqueSchedule() => "s" + Guid.NewGuid().ToString("N")[..12];
}
