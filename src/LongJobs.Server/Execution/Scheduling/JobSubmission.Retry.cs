using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Retries: a failed or cancelled job of a registered kind starts again as a new job linked to it
/// (<see cref="JobRecord.RetryOf"/>); the retried job stays as it ended.
/// </summary>
internal sealed partial class JobSubmission
{
    /// <summary>
    /// The idempotency key of the retry of <paramref name="id"/>, under the retried job's owner: a store keeps one job per
    /// owner and key, so a second retry of the same job (a double click, two operators, two servers) answers with the
    /// first retry instead of starting another.
    /// </summary>
    internal static string RetryIdempotencyKey(Guid id) => $"longjobs-retry:{id:D}";

    /// <inheritdoc cref="IJobScheduler.RetryAsync"/>
    public async Task<LongRunningJob?> RetryAsync(Guid id, CancellationToken cancellationToken)
    {
        var original = await records.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (original is null)
        {
            return null;
        }

        EnsureRetryable(original);
        var kind = FindKind(original.Kind);
        var request = original.Request!.Value.Deserialize(kind.RequestType, options.SerializerOptions)
            ?? throw new InvalidOperationException($"Job '{id}' has no request to run again.");
        var start = new ValidatedStart(request, original.Owner, RetryIdempotencyKey(id), Notifications: null, kind.UniqueKeyOf(request), original.Priority, RetryOf: id);
        var (job, state, _) = await StartRegisteredAsync(kind, start, notBefore: null, withHandle: true, cancellationToken).ConfigureAwait(false);
        if (job is not null)
        {
            Log.JobRetried(logger, id, original.Kind, state.Id);
        }

        return job ?? HandleOf(kind, state);
    }

    /// <summary>Why <paramref name="job"/> cannot be retried, or <see langword="null"/> when it can: it failed or was cancelled, and has a request.</summary>
    internal static string? WhyNotRetryable(JobRecord job) =>
        job.Status is not (JobStatus.Failed or JobStatus.Canceled)
            ? $"Job '{job.Id}' is {job.Status}: only a job that failed or was cancelled can be retried."
            : job.Request is null
                ? $"Job '{job.Id}' is an ad-hoc job: only its server held its work, so it cannot run again."
                : null;

    private static void EnsureRetryable(JobRecord job)
    {
        if (WhyNotRetryable(job) is { } reason)
        {
            throw new InvalidOperationException(reason);
        }
    }
}
