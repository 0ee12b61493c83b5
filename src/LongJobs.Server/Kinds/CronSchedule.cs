using Cronos;

namespace LongJobs.Server.Kinds;

/// <summary>
/// A cron expression read in a time zone (Cronos): five fields (minute to day of week), six with seconds first, or a
/// macro such as <c>@daily</c>. Occurrences are computed in the zone and returned in UTC.
/// </summary>
internal sealed class CronSchedule
{
    /// <summary>How far back <see cref="LatestAtOrBefore"/> looks, widening step by step: few occurrences are read whatever the expression.</summary>
    private static readonly TimeSpan[] LookBack =
        [TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(32), TimeSpan.FromDays(366), TimeSpan.FromDays(5 * 366)];

    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo zone)
    {
        Text = text;
        _expression = expression;
        Zone = zone;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The time zone the expression is read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Reads <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">It is not a cron expression.</exception>
    public static CronSchedule Parse(string text, TimeZoneInfo zone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentNullException.ThrowIfNull(zone);
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
        try
        {
            return new CronSchedule(text, CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard), zone);
        }
        catch (CronFormatException exception)
        {
            throw new ArgumentException($"'{text}' is not a cron expression (five fields, minute to day of week; or six, with seconds first): {exception.Message}", nameof(text), exception);
        }
    }

    /// <summary>The first occurrence after <paramref name="after"/>, or <see langword="null"/> when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) => _expression.GetNextOccurrence(after.ToUniversalTime(), Zone);

    /// <summary>The last occurrence after <paramref name="after"/> and not after <paramref name="now"/>, or <see langword="null"/> when there is none.</summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset now, DateTimeOffset after)
    {
        foreach (var window in LookBack)
        {
            var from = now - window > after ? now - window : after;
            DateTimeOffset? latest = null;
            foreach (var occurrence in _expression.GetOccurrences(from.ToUniversalTime(), now.ToUniversalTime(), Zone, fromInclusive: false, toInclusive: true))
            {
                latest = occurrence;
            }

            if (latest is not null || from == after)
            {
                return latest;
            }
        }

        // More than five years missed: the next after them will do as the latest.
        return NextAfter(after) is { } next && next <= now ? next : null;
    }
}
