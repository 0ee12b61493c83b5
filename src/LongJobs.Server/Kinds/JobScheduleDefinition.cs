namespace LongJobs.Server.Kinds;

/// <summary>A recurring schedule of a kind, declared with <see cref="JobKindOptions.AddSchedule{TRequest}"/>: each occurrence starts one job of the kind with <see cref="Request"/>.</summary>
/// <param name="Name">The schedule's name, unique among every kind's schedules.</param>
/// <param name="Cron">When it occurs.</param>
/// <param name="Request">The request of every occurrence's job.</param>
/// <param name="Misfire">What to do with occurrences missed.</param>
/// <param name="MisfireThreshold">How late an occurrence may start and still count as on time.</param>
internal sealed record JobScheduleDefinition(string Name, CronSchedule Cron, object Request, ScheduleMisfirePolicy Misfire, TimeSpan MisfireThreshold)
{
    /// <summary>The longest misfire threshold.</summary>
    public static readonly TimeSpan MaxMisfireThreshold = TimeSpan.FromDays(1);
}
