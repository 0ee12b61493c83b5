using System.Globalization;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Api;

/// <summary>
/// The 404 for a job the caller cannot find, saying which it may be, in <c>detail</c> and in the extension member
/// <c>reason</c>: <c>serverRestarted</c> when the store keeps jobs in memory and the ID (a GUID version 7, which carries
/// its job's creation time) dates from before the store started; <c>otherKind</c> when the job is of another kind than
/// the route's; else <c>notFoundOrRemoved</c>. Another owner's job reads as <c>notFoundOrRemoved</c>, like an unknown ID.
/// </summary>
internal sealed class JobNotFound(IJobStoreDurability store, IOptions<LongJobsOptions> options)
{
    /// <summary>The reason of a job that was lost when a server with an in-memory store restarted.</summary>
    public const string ServerRestarted = "serverRestarted";

    /// <summary>The reason of a job that was never started, or was removed by retention or deleted.</summary>
    public const string NotFoundOrRemoved = "notFoundOrRemoved";

    /// <summary>The reason of a job read through the typed route of another kind.</summary>
    public const string OtherKind = "otherKind";

    private const string Title = "Job not found.";

    private readonly string _kept = $"finished jobs are kept for {Describe(options.Value.RetainFinishedJobsFor)}, at most {options.Value.MaxRetainedJobs.ToString("N0", CultureInfo.InvariantCulture)} of them";

    /// <summary>No job <paramref name="id"/> that the caller may see.</summary>
    public ProblemHttpResult Problem(Guid id)
    {
        if (store.InMemorySince is { } since && CreatedAt(id) is { } created && created < Milliseconds(since))
        {
            return JobProblems.Problem(
                StatusCodes.Status404NotFound,
                Title,
                $"Job '{id}' was created at {Format(created)}, before this server started at {Format(since)}; jobs kept in memory are lost when the server restarts.",
                new Dictionary<string, object?> { ["reason"] = ServerRestarted });
        }

        return JobProblems.Problem(
            StatusCodes.Status404NotFound,
            Title,
            $"No job '{id}' exists: it was never started here, or it finished and was removed ({_kept}), or it was deleted.",
            new Dictionary<string, object?> { ["reason"] = NotFoundOrRemoved });
    }

    /// <summary>Job <paramref name="id"/> is of <paramref name="kind"/>, not the route's <paramref name="routeKind"/>.</summary>
    public static ProblemHttpResult OfOtherKind(Guid id, string kind, string routeKind) =>
        JobProblems.Problem(
            StatusCodes.Status404NotFound,
            Title,
            $"Job '{id}' is of kind '{kind}', not '{routeKind}'.",
            new Dictionary<string, object?> { ["reason"] = OtherKind, ["kind"] = kind });

    /// <summary>When a job with ID <paramref name="id"/> was created, if the ID is a GUID version 7 (RFC 9562): its first 48 bits are Unix milliseconds.</summary>
    internal static DateTimeOffset? CreatedAt(Guid id)
    {
        if (id.Version != 7 || (id.Variant & 0b1100) != 0b1000)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        var milliseconds = (long)bytes[0] << 40 | (long)bytes[1] << 32 | (long)bytes[2] << 24 | (long)bytes[3] << 16 | (long)bytes[4] << 8 | bytes[5];
        return milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
    }

    /// <summary>An instant to the millisecond, as IDs carry it: a job created in the store's first millisecond is not before it.</summary>
    private static DateTimeOffset Milliseconds(DateTimeOffset instant) => DateTimeOffset.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds());

    private static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A retention period in words: "24 hours", "7 days", "90 minutes".</summary>
    internal static string Describe(TimeSpan period) => period switch
    {
        { TotalDays: >= 1 } when period.Ticks % TimeSpan.TicksPerDay == 0 && period.TotalHours > 48 => Count((long)period.TotalDays, "day"),
        { TotalHours: >= 1 } when period.Ticks % TimeSpan.TicksPerHour == 0 => Count((long)period.TotalHours, "hour"),
        { TotalMinutes: >= 1 } when period.Ticks % TimeSpan.TicksPerMinute == 0 => Count((long)period.TotalMinutes, "minute"),
        _ => Count((long)Math.Ceiling(period.TotalSeconds), "second"),
    };

    private static string Count(long count, string unit) => count.ToString("N0", CultureInfo.InvariantCulture) + " " + unit + (count == 1 ? string.Empty : "s");
}
