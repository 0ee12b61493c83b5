using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Kinds;

/// <summary><see cref="JobKindOptions.AddSchedule{TRequest}"/>'s checks, and the cron arithmetic of <see cref="CronSchedule"/>.</summary>
public sealed class JobSchedulesTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Nightly", "0 3 * * *", "schedule name")]
    [InlineData("nightly report", "0 3 * * *", "schedule name")]
    [InlineData("nightly", "0 3 * *", "cron expression")]
    [InlineData("nightly", "61 3 * * *", "cron expression")]
    [InlineData("nightly", " ", "whitespace")]
    public void AddSchedule_WithAnInvalidNameOrCronExpression_Throws(string name, string cron, string saying)
    {
        var options = new JobKindOptions();

        var refused = Assert.ThrowsAny<ArgumentException>(() => options.AddSchedule(name, cron, new ProbeRequest()));

        Assert.Contains(saying, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSchedule_AMisfireThresholdOutOfRange_Throws()
    {
        var options = new JobKindOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.AddSchedule("nightly", "0 3 * * *", new ProbeRequest(), schedule => schedule.MisfireThreshold = TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.AddSchedule("nightly", "0 3 * * *", new ProbeRequest(), schedule => schedule.MisfireThreshold = TimeSpan.FromDays(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.AddSchedule("nightly", "0 3 * * *", new ProbeRequest(), schedule => schedule.Misfire = (ScheduleMisfirePolicy)7));
    }

    [Fact]
    public void AddSchedule_ANameTwice_OnOneKind_OrOnTwoKinds_Throws()
    {
        var options = new JobKindOptions().AddSchedule("nightly", "0 3 * * *", new ProbeRequest());
        Assert.Throws<ArgumentException>(() => options.AddSchedule("nightly", "0 4 * * *", new ProbeRequest()));

        var builder = new ServiceCollection().AddLongJobs()
            .AddJob<ProbeJob, ProbeRequest, ProbeResult>("first", kind => kind.AddSchedule("nightly", "0 3 * * *", new ProbeRequest()));
        var clash = Assert.Throws<InvalidOperationException>(() =>
            builder.AddJob<ProbeJob, ProbeRequest, ProbeResult>("second", kind => kind.AddSchedule("nightly", "0 4 * * *", new ProbeRequest())));
        Assert.Contains("'nightly'", clash.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSchedule_WithARequestOfAnotherType_IsRefusedWhenTheKindIsAdded()
    {
        var builder = new ServiceCollection().AddLongJobs();

        var refused = Assert.Throws<ArgumentException>(() =>
            builder.AddJob<ProbeJob, ProbeRequest, ProbeResult>("probe", kind => kind.AddSchedule("nightly", "0 3 * * *", new GatedRequest { GateKey = "x" })));

        Assert.Contains("GatedRequest", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cron_WithSixFields_HasSeconds_AndMacrosAreRead()
    {
        Assert.Equal(T0.AddSeconds(30), CronSchedule.Parse("30 * * * * *", TimeZoneInfo.Utc).NextAfter(T0));
        Assert.Equal(T0.AddDays(1), CronSchedule.Parse("@daily", TimeZoneInfo.Utc).NextAfter(T0));
    }

    [Theory]
    [InlineData("*/5 * * * * *", 3600 * 24 * 30, 3600 * 24 * 30)]
    [InlineData("0 3 * * *", 3600 * 24 * 3 + 60, 3600 * 24 * 2 + 3600 * 3)]
    [InlineData("0 0 1 1 *", 3600 * 24 * 365 * 3, 3600 * 24 * 365 * 2)]
    public void LatestAtOrBefore_FindsTheLastMissedOccurrence_WithoutWalkingThemAll(string cron, int nowSeconds, int latestSeconds)
    {
        var schedule = CronSchedule.Parse(cron, TimeZoneInfo.Utc);

        Assert.Equal(T0.AddSeconds(latestSeconds), schedule.LatestAtOrBefore(T0.AddSeconds(nowSeconds), after: T0));
    }

    [Fact]
    public void LatestAtOrBefore_WithNoneAfterTheLastDone_IsNull()
    {
        var schedule = CronSchedule.Parse("0 3 * * *", TimeZoneInfo.Utc);

        Assert.Null(schedule.LatestAtOrBefore(T0.AddHours(2), after: T0));
        Assert.Null(schedule.LatestAtOrBefore(T0.AddHours(3), after: T0.AddHours(3)));
    }
}
