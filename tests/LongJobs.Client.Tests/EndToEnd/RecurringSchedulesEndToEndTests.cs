using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>The sample's recurring schedule through the client, over real HTTP: listed with its next run; pausing it is for administrators.</summary>
public sealed class RecurringSchedulesEndToEndTests
{
    [Fact]
    public async Task ListJobSchedules_ShowsTheSamplesNightlyReport_AndPausingWithoutAnAdministratorRoleIs403()
    {
        await using var server = new SampleServerFactory(host => host.UseSetting("Sample:NightlyReport", "30 4 * * *"));
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);

        var schedules = await jobs.ListJobSchedulesAsync().WaitAsync(TestTimeouts.Signal);
        var refused = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.PauseJobScheduleAsync("nightly-report"));
        var unknown = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.ResumeJobScheduleAsync("weekly"));

        var nightly = Assert.Single(schedules.Items);
        Assert.Equal(("nightly-report", "report", "30 4 * * *", "UTC", false), (nightly.Name, nightly.Kind, nightly.Cron, nightly.TimeZone, nightly.Paused));
        Assert.Equal(new TimeSpan(4, 30, 0), nightly.NextRunAt!.Value.UtcDateTime.TimeOfDay);
        Assert.InRange(nightly.NextRunAt.Value - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(1));
        Assert.Equal(403, refused.StatusCode);
        Assert.Equal(403, unknown.StatusCode);
    }
}
