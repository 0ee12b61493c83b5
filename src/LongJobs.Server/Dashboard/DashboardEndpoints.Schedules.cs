using LongJobs.Server.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Dashboard;

/// <summary>The recurring schedules' operator actions: pause and resume, for operators only, with the page's antiforgery token.</summary>
internal sealed partial class DashboardEndpoints
{
    /// <summary>POST /_api/schedules/{name}/pause: pauses a recurring schedule on every server sharing the store.</summary>
    public Task<Results<Ok<JobScheduleInfo>, ProblemHttpResult>> PauseScheduleAsync(string name, HttpContext context, CancellationToken cancellationToken) =>
        ChangeScheduleAsync(name, pause: true, context, cancellationToken);

    /// <summary>POST /_api/schedules/{name}/resume: resumes a paused schedule from its next occurrence after now.</summary>
    public Task<Results<Ok<JobScheduleInfo>, ProblemHttpResult>> ResumeScheduleAsync(string name, HttpContext context, CancellationToken cancellationToken) =>
        ChangeScheduleAsync(name, pause: false, context, cancellationToken);

    private async Task<Results<Ok<JobScheduleInfo>, ProblemHttpResult>> ChangeScheduleAsync(string name, bool pause, HttpContext context, CancellationToken cancellationToken)
    {
        if (await RefuseActionAsync(pause ? "Pausing schedules" : "Resuming schedules", context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        try
        {
            var schedule = pause
                ? await scheduler.PauseScheduleAsync(name, cancellationToken).ConfigureAwait(false)
                : await scheduler.ResumeScheduleAsync(name, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(JobScheduleInfo.Of(schedule));
        }
        catch (KeyNotFoundException)
        {
            return JobProblems.Problem(StatusCodes.Status404NotFound, "Unknown schedule.", $"No schedule named '{name}' is added to a job kind.");
        }
    }
}
