using LongJobs.Client.Http;
using LongJobs.Client.Models;

namespace LongJobs.Client;

/// <summary>The calls that run the server rather than one job: its kinds and recurring schedules, paused and resumed by administrators.</summary>
public partial class LongJobsClient
{
    /// <summary>Lists the job kinds the server runs, with whether each is paused.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The kinds, by name.</returns>
    /// <exception cref="LongJobsRequestException">The server refused the request or could not be reached.</exception>
    public virtual async Task<JobKindList> ListJobKindsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.GetAsync(JobPaths.Relative(_options, "kinds"), cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadAsync<JobKindList>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pauses a job kind on every server sharing the store: its queued jobs wait until it is resumed (administrators only).</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The kind, paused.</returns>
    /// <exception cref="LongJobsRequestException">403 for a caller who is not an administrator, 404 for an unknown kind, or the server could not be reached.</exception>
    public virtual Task<JobKindInfo> PauseJobKindAsync(string kind, CancellationToken cancellationToken = default) =>
        ChangeKindAsync(kind, "pause", cancellationToken);

    /// <summary>Resumes a paused job kind: its queued jobs are claimed again (administrators only).</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The kind, not paused.</returns>
    /// <exception cref="LongJobsRequestException">403 for a caller who is not an administrator, 404 for an unknown kind, or the server could not be reached.</exception>
    public virtual Task<JobKindInfo> ResumeJobKindAsync(string kind, CancellationToken cancellationToken = default) =>
        ChangeKindAsync(kind, "resume", cancellationToken);

    /// <summary>Lists the server's recurring schedules, with their next and last run and whether each is paused.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The schedules, by name.</returns>
    /// <exception cref="LongJobsRequestException">The server refused the request or could not be reached.</exception>
    public virtual async Task<JobScheduleList> ListJobSchedulesAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _httpClient.GetAsync(JobPaths.Relative(_options, "schedules"), cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadAsync<JobScheduleList>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pauses a recurring schedule on every server sharing the store: none of its occurrences starts until it is resumed (administrators only).</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The schedule, paused.</returns>
    /// <exception cref="LongJobsRequestException">403 for a caller who is not an administrator, 404 for an unknown schedule, or the server could not be reached.</exception>
    public virtual Task<JobScheduleInfo> PauseJobScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        ChangeScheduleAsync(name, "pause", cancellationToken);

    /// <summary>Resumes a paused recurring schedule: its next occurrence after now starts (administrators only).</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The schedule, not paused.</returns>
    /// <exception cref="LongJobsRequestException">403 for a caller who is not an administrator, 404 for an unknown schedule, or the server could not be reached.</exception>
    public virtual Task<JobScheduleInfo> ResumeJobScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        ChangeScheduleAsync(name, "resume", cancellationToken);

    private Task<JobKindInfo> ChangeKindAsync(string kind, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        return PostActionAsync<JobKindInfo>($"kinds/{Uri.EscapeDataString(kind)}/{action}", cancellationToken);
    }

    private Task<JobScheduleInfo> ChangeScheduleAsync(string name, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return PostActionAsync<JobScheduleInfo>($"schedules/{Uri.EscapeDataString(name)}/{action}", cancellationToken);
    }

    /// <summary>POSTs an action without a body to <paramref name="path"/> (under the jobs path) and reads its answer.</summary>
    private async Task<T> PostActionAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await _httpClient.PostAsync(JobPaths.Relative(_options, path), content: null, cancellationToken).ConfigureAwait(false);
        return await JobResponses.ReadAsync<T>(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
    }
}
