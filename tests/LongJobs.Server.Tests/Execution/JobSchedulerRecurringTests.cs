using System.Globalization;
using LongJobs.Server.Execution;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using LongJobs.Server.Storage.InMemory;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Execution;

/// <summary>
/// Recurring schedules (<see cref="JobKindOptions.AddSchedule{TRequest}"/>) on the in-memory store, in fake time: each
/// occurrence starts one ordinary job, in the schedule's time zone across daylight-saving changes; missed occurrences
/// run once or are skipped; paused schedules start nothing; servers sharing a store start each occurrence once.
/// </summary>
public sealed class JobSchedulerRecurringTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ASchedule_StartsOneJobAtEachDueTime_WithItsRequest_AndListsItsLastAndNextRun()
    {
        await using var services = await StartAsync("0 3 * * *");
        Assert.Equal(Start.AddHours(1), Assert.Single(await services.Scheduler.GetSchedulesAsync()).NextRunAt);
        await services.Time.WaitForTimerAsync(TimeSpan.FromHours(1));

        services.Time.Advance(TimeSpan.FromHours(1));
        await services.Time.WaitForTimerAsync(TimeSpan.FromDays(1));

        var job = await services.GetRecordAsync(Assert.Single(await OccurrencesAsync(services)).Id);
        Assert.Equal(Start.AddHours(1), job.CreatedAt);
        Assert.Null(job.Owner);
        Assert.Equal(7, job.Request!.Value.GetProperty("number").GetInt32());
        var schedule = Assert.Single(await services.Scheduler.GetSchedulesAsync());
        Assert.Equal(
            new JobSchedule { Name = "nightly", Kind = "reports", Cron = "0 3 * * *", TimeZone = "UTC", LastRunAt = Start.AddHours(1), LastJobId = job.Id, NextRunAt = Start.AddHours(25) },
            schedule);

        services.Time.Advance(TimeSpan.FromDays(1));
        await services.Time.WaitForTimerAsync(TimeSpan.FromDays(1), count: 2);

        Assert.Equal([Start.AddHours(1), Start.AddHours(25)], (await OccurrencesAsync(services)).Select(occurrence => occurrence.CreatedAt));
    }

    /// <summary>
    /// Berlin, 02:30 daily: on 28 March 2027 the clocks skip from 02:00 to 03:00 (the occurrence runs at 03:00 CEST, 01:00
    /// UTC); on 31 October 2027 they go back from 03:00 to 02:00 (02:30 comes twice, the occurrence runs once).
    /// </summary>
    [Theory]
    [InlineData("2027-03-27T12:00:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z")]
    [InlineData("2027-10-30T12:00:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z")]
    public async Task ASchedule_InATimeZone_RunsOnceOnADaylightSavingDay_AtTheTimeCronUsersExpect(string now, string expected, string next)
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var (start, first, second) = (DateTimeOffset.Parse(now, CultureInfo.InvariantCulture), DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), DateTimeOffset.Parse(next, CultureInfo.InvariantCulture));
        await using var services = await StartAsync("30 2 * * *", schedule => schedule.TimeZone = berlin, start: start);
        Assert.Equal(first, Assert.Single(await services.Scheduler.GetSchedulesAsync()).NextRunAt);
        await services.Time.WaitForTimerAsync(first - start);

        services.Time.Advance(first - start);
        await services.Time.WaitForTimerAsync(due => due > TimeSpan.FromHours(20)); // the sleep after the occurrence (a day at most)

        Assert.Equal([first], (await OccurrencesAsync(services)).Select(job => job.CreatedAt));
        Assert.Equal(second, Assert.Single(await services.Scheduler.GetSchedulesAsync()).NextRunAt);
    }

    [Theory]
    [InlineData(ScheduleMisfirePolicy.RunOnce)]
    [InlineData(ScheduleMisfirePolicy.Skip)]
    public async Task OccurrencesMissedWhileNoServerRan_RunOnceNow_OrAreSkipped_AsTheMisfirePolicySays(ScheduleMisfirePolicy policy)
    {
        var time = new ObservedFakeTimeProvider();
        time.SetUtcNow(Start.AddMinutes(30));
        var store = new InMemoryJobStore(Options.Create(new LongJobsOptions()), time);
        await using (var before = await StartAsync("0 * * * *", schedule => schedule.Misfire = policy, time: time, store: store))
        {
            await time.WaitForTimerAsync(TimeSpan.FromMinutes(30));
        }

        time.Advance(TimeSpan.FromHours(5)); // no server runs from 02:30 to 07:30: 03:00 to 07:00 are missed
        var logs = new RecordedLogs();
        await using var after = await StartAsync("0 * * * *", schedule => schedule.Misfire = policy, time: time, store: store, logs: logs);
        await time.WaitForTimerAsync(TimeSpan.FromMinutes(30), count: 2);

        var occurrences = await OccurrencesAsync(after);
        var schedule = Assert.Single(await after.Scheduler.GetSchedulesAsync());
        var missed = await logs.WaitForAsync(policy == ScheduleMisfirePolicy.RunOnce ? 62 : 63);
        Assert.Contains("from 2030-01-01T03:00:00.0000000+00:00 to 2030-01-01T07:00:00.0000000+00:00", missed.Message, StringComparison.Ordinal);
        Assert.Equal(Start.AddHours(6), schedule.NextRunAt);
        if (policy == ScheduleMisfirePolicy.RunOnce)
        {
            var job = Assert.Single(occurrences);
            Assert.Equal(Start.AddHours(5).AddMinutes(30), job.CreatedAt);
            Assert.Equal((Start.AddHours(5), job.Id), (schedule.LastRunAt!.Value, schedule.LastJobId!.Value));
        }
        else
        {
            Assert.Empty(occurrences);
            Assert.Null(schedule.LastRunAt);
        }
    }

    [Fact]
    public async Task AnOccurrenceLessLateThanTheThreshold_RunsAsUsual()
    {
        var time = new ObservedFakeTimeProvider();
        time.SetUtcNow(Start);
        var store = new FaultyJobStore(time);
        var logs = new RecordedLogs();
        await using var services = await StartAsync("0 3 * * *", schedule => schedule.Misfire = ScheduleMisfirePolicy.Skip, time: time, store: store, logs: logs);
        await services.Time.WaitForTimerAsync(TimeSpan.FromHours(1));
        store.ScheduleFailure = new JobStoreUnavailableException("The database is restarting.", new TimeoutException());

        services.Time.Advance(TimeSpan.FromHours(1));
        await services.Time.WaitForTimerAsync(new LongJobsOptions().QueuePollInterval);
        store.ScheduleFailure = null;
        services.Time.Advance(new LongJobsOptions().QueuePollInterval);
        await services.Time.WaitForTimerAsync(due => due > TimeSpan.FromHours(23));

        Assert.Equal([Start.AddHours(1) + new LongJobsOptions().QueuePollInterval], (await OccurrencesAsync(services)).Select(job => job.CreatedAt));
        Assert.DoesNotContain(logs.Entries, entry => entry.EventId is 62 or 63);
    }

    [Fact]
    public async Task APausedSchedule_StartsNothing_AndOnceResumed_RunsFromItsNextDueTime()
    {
        await using var services = await StartAsync("0 * * * *");
        await services.Time.WaitForTimerAsync(TimeSpan.FromHours(1));

        var paused = await services.Scheduler.PauseScheduleAsync("nightly");
        services.Time.Advance(TimeSpan.FromHours(1.5)); // 03:00 comes while paused
        await services.Time.WaitForTimerAsync(TimeSpan.FromMinutes(30));

        Assert.Equal((Start, (DateTimeOffset?)null), (paused.PausedAt!.Value, paused.NextRunAt));
        Assert.Empty(await OccurrencesAsync(services));

        var resumed = await services.Scheduler.ResumeScheduleAsync("nightly");
        Assert.Equal((null, Start.AddHours(2)), (resumed.PausedAt, resumed.NextRunAt));
        services.Time.Advance(TimeSpan.FromMinutes(30));
        await services.Time.WaitForTimerAsync(TimeSpan.FromHours(1));

        Assert.Equal([Start.AddHours(2)], (await OccurrencesAsync(services)).Select(job => job.CreatedAt));
    }

    [Fact]
    public async Task TwoServersSharingAStore_StartEachOccurrenceOnce()
    {
        var time = new ObservedFakeTimeProvider();
        time.SetUtcNow(Start);
        var store = new InMemoryJobStore(Options.Create(new LongJobsOptions()), time);
        await using var first = await StartAsync("*/10 * * * *", time: time, store: store);
        await using var second = await StartAsync("*/10 * * * *", time: time, store: store);
        await time.WaitForTimerAsync(TimeSpan.FromMinutes(10), count: 2);

        for (var round = 1; round <= 3; round++)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await time.WaitForTimerAsync(TimeSpan.FromMinutes(10), count: 2 * (round + 1));
        }

        Assert.Equal([Start.AddMinutes(10), Start.AddMinutes(20), Start.AddMinutes(30)], (await OccurrencesAsync(first)).Select(job => job.CreatedAt));
    }

    [Fact]
    public async Task AScheduleWhoseRequestIsNotValid_StopsTheServerFromStarting()
    {
        await using var services = TestServices.Create(addJobs: jobs => jobs.AddJob<ProbeJob, ProbeRequest, ProbeResult>(
            "checked", kind => kind.AddSchedule("broken", "0 3 * * *", new ProbeRequest { Number = 0 })));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ((IHostedService)services.Scheduler).StartAsync(CancellationToken.None));

        Assert.Contains("'broken'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Number", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PauseOrResume_OfAScheduleNotAdded_Throws()
    {
        await using var services = await StartAsync("0 3 * * *");

        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Scheduler.PauseScheduleAsync("weekly"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Scheduler.ResumeScheduleAsync("weekly"));
    }

    /// <summary>Starts a server whose <c>reports</c> kind (probe jobs) has the schedule <c>nightly</c> with <paramref name="cron"/> (request number 7).</summary>
    private static async Task<TestServices> StartAsync(
        string cron,
        Action<JobScheduleOptions>? configure = null,
        DateTimeOffset? start = null,
        ObservedFakeTimeProvider? time = null,
        IJobStore? store = null,
        RecordedLogs? logs = null)
    {
        if (time is null)
        {
            time = new ObservedFakeTimeProvider();
            time.SetUtcNow(start ?? Start);
        }

        var services = TestServices.Create(
            time: time,
            store: store is null ? null : _ => store,
            logs: logs,
            addJobs: jobs => jobs.AddJob<ProbeJob, ProbeRequest, ProbeResult>("reports", kind => kind.AddSchedule("nightly", cron, new ProbeRequest { Number = 7 }, configure)));
        await ((IHostedService)services.Scheduler).StartAsync(CancellationToken.None);
        return services;
    }

    /// <summary>The jobs of the <c>reports</c> kind, oldest first.</summary>
    private static async Task<IReadOnlyList<JobRecord>> OccurrencesAsync(TestServices services) =>
        [.. (await services.Store.ListAsync(new JobQuery { Kind = "reports", PageSize = JobQuery.MaxPageSize })).Items.OrderBy(job => job.CreatedAt)];
}
