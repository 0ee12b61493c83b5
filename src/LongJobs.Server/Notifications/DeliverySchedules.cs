namespace LongJobs.Server.Notifications;

/// <summary>Retry schedules for notification channels (<see cref="INotificationChannel.RetryDelays"/>).</summary>
public static class DeliverySchedules
{
    /// <summary>
    /// The schedule Standard Webhooks suggests: attempts at once, then after 5 seconds, 5 minutes, 30 minutes, 2 hours,
    /// 5 hours, 10 hours and 10 hours, eight in all over about 27 hours, so a receiver down for a day still gets it.
    /// </summary>
    public static IReadOnlyList<TimeSpan> StandardWebhooks { get; } =
    [
        TimeSpan.FromSeconds(5),
        TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2),
        TimeSpan.FromHours(5),
        TimeSpan.FromHours(10),
        TimeSpan.FromHours(10),
    ];

    /// <summary>The most delays a schedule may list.</summary>
    public const int MaxRetries = 50;

    /// <summary>The longest delay a schedule may list.</summary>
    public static TimeSpan MaxDelay { get; } = TimeSpan.FromDays(7);

    /// <summary>Why <paramref name="delays"/> cannot be a schedule, or <see langword="null"/> when it can.</summary>
    /// <param name="delays">The delays to check.</param>
    /// <returns>The reason, for an options validation error.</returns>
    public static string? Check(IList<TimeSpan> delays)
    {
        ArgumentNullException.ThrowIfNull(delays);
        if (delays.Count > MaxRetries)
        {
            return $"List at most {MaxRetries} delays.";
        }

        return delays.Any(delay => delay < TimeSpan.Zero || delay > MaxDelay)
            ? $"Every delay must be between zero and {MaxDelay.TotalDays:0} days."
            : null;
    }
}
