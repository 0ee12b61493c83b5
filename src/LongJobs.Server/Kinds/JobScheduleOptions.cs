namespace LongJobs.Server.Kinds;

/// <summary>Settings of one recurring schedule, given to <see cref="JobKindOptions.AddSchedule{TRequest}"/>.</summary>
public sealed class JobScheduleOptions
{
    /// <summary>
    /// The time zone the cron expression is read in. Daylight-saving days are handled as cron users expect: a time that a
    /// spring change skips runs at the first time after it, and a time that an autumn change repeats runs once.
    /// </summary>
    /// <value>The default value is <see cref="TimeZoneInfo.Utc"/>.</value>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>What to do with occurrences that no server started on time (every server was down, or the store was out of reach).</summary>
    /// <value>The default value is <see cref="ScheduleMisfirePolicy.RunOnce"/>.</value>
    public ScheduleMisfirePolicy Misfire { get; set; } = ScheduleMisfirePolicy.RunOnce;

    /// <summary>
    /// How late an occurrence may start and still count as on time. Later than this it has misfired, and
    /// <see cref="Misfire"/> decides.
    /// </summary>
    /// <value>The default value is one minute; from one second to one day.</value>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>What a recurring schedule does with occurrences that were missed (see <see cref="JobScheduleOptions.MisfireThreshold"/>).</summary>
public enum ScheduleMisfirePolicy
{
    /// <summary>Start one job now for all the missed occurrences (as for the latest of them); then go on as scheduled.</summary>
    RunOnce,

    /// <summary>Start nothing for the missed occurrences; the next one on time runs.</summary>
    Skip,
}
