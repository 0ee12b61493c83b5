using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Execution;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>GET /schedules lists the recurring schedules with their next and last run; POST /schedules/{name}/pause and /resume, for administrators.</summary>
internal sealed partial class JobsApi
{
    /// <summary>Lists the recurring schedules.</summary>
    /// <remarks>
    /// Every schedule added to a kind this server runs (JobKindOptions.AddSchedule), by name: its cron expression and time
    /// zone, whether it is paused, the due time of its next occurrence and of the last one that started a job, and that
    /// job's ID. Each occurrence is an ordinary job of the kind, without an owner.
    /// </remarks>
    /// <response code="200">The schedules.</response>
    /// <response code="400">The caller's identity cannot own jobs (an owner identifier too long, or not plain text).</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Ok<JobScheduleList>> ListSchedulesAsync(CancellationToken cancellationToken)
    {
        var schedules = await scheduler.GetSchedulesAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new JobScheduleList { Items = [.. schedules.Select(JobScheduleInfo.Of)] });
    }

    /// <summary>Pauses a recurring schedule.</summary>
    /// <remarks>
    /// Administrators only (LongJobsOptions.AdministratorRole). On every server sharing the store, none of the schedule's
    /// occurrences starts until it is resumed, and those due meanwhile are not caught up; jobs it started already go on.
    /// Pausing a paused schedule changes nothing.
    /// </remarks>
    /// <response code="200">The schedule, paused.</response>
    /// <response code="403">The caller is not an administrator (or the server has no AdministratorRole).</response>
    /// <response code="404">No schedule of that name is added to a kind.</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Ok<JobScheduleInfo>, ProblemHttpResult>> PauseScheduleAsync([Description(ParameterDescriptions.ScheduleName)] string name, HttpContext context, CancellationToken cancellationToken)
    {
        if (await ScheduleActionRefusedAsync(name, context, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok(JobScheduleInfo.Of(await scheduler.PauseScheduleAsync(name, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>Resumes a paused recurring schedule.</summary>
    /// <remarks>
    /// Administrators only (LongJobsOptions.AdministratorRole). Its next occurrence after now starts as usual, on whichever
    /// server comes first. Resuming a schedule not paused changes nothing.
    /// </remarks>
    /// <response code="200">The schedule, not paused.</response>
    /// <response code="403">The caller is not an administrator (or the server has no AdministratorRole).</response>
    /// <response code="404">No schedule of that name is added to a kind.</response>
    /// <response code="503">The job store cannot be reached: try again after 'Retry-After' seconds.</response>
    public async Task<Results<Ok<JobScheduleInfo>, ProblemHttpResult>> ResumeScheduleAsync([Description(ParameterDescriptions.ScheduleName)] string name, HttpContext context, CancellationToken cancellationToken)
    {
        if (await ScheduleActionRefusedAsync(name, context, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok(JobScheduleInfo.Of(await scheduler.ResumeScheduleAsync(name, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>403 unless the caller is an administrator; 404 for a schedule not added to a kind here.</summary>
    private async Task<ProblemHttpResult?> ScheduleActionRefusedAsync(string name, HttpContext context, CancellationToken cancellationToken)
    {
        if (AdministratorsOnly(context, "Pausing and resuming schedules") is { } refused)
        {
            return refused;
        }

        var schedules = await scheduler.GetSchedulesAsync(cancellationToken).ConfigureAwait(false);
        return schedules.Any(schedule => schedule.Name == name)
            ? null
            : JobProblems.Problem(StatusCodes.Status404NotFound, "Unknown schedule.", $"No schedule named '{name}' is added to a job kind.");
    }
}

/// <summary>A recurring schedule, and its state on every server sharing the store.</summary>
public sealed class JobScheduleInfo
{
    /// <summary>The schedule's name.</summary>
    [Required]
    public required string Name { get; init; }

    /// <summary>The kind of the jobs it starts.</summary>
    [Required]
    public required string Kind { get; init; }

    /// <summary>Its cron expression: five fields (minute to day of week), six with seconds first, or a macro such as '@daily'.</summary>
    [Required]
    public required string Cron { get; init; }

    /// <summary>The ID of the time zone the expression is read in.</summary>
    [Required]
    public required string TimeZone { get; init; }

    /// <summary>Whether it is paused: none of its occurrences starts.</summary>
    [Required]
    public required bool Paused { get; init; }

    /// <summary>When it was paused, while it is.</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>The due time of its next occurrence: in the past while a late one waits for a server to start it; absent while paused.</summary>
    public DateTimeOffset? NextRunAt { get; init; }

    /// <summary>The due time of the last occurrence that started a job.</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The ID of that job.</summary>
    public Guid? LastJobId { get; init; }

    internal static JobScheduleInfo Of(JobSchedule schedule) => new()
    {
        Name = schedule.Name,
        Kind = schedule.Kind,
        Cron = schedule.Cron,
        TimeZone = schedule.TimeZone,
        Paused = schedule.PausedAt is not null,
        PausedAt = schedule.PausedAt,
        NextRunAt = schedule.NextRunAt,
        LastRunAt = schedule.LastRunAt,
        LastJobId = schedule.LastJobId,
    };
}

/// <summary>The recurring schedules, by name.</summary>
public sealed class JobScheduleList
{
    /// <summary>The schedules.</summary>
    [Required]
    public required IReadOnlyList<JobScheduleInfo> Items { get; init; }
}
