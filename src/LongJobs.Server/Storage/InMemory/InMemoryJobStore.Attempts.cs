using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>A job's attempts (<see cref="IJobAttempts"/>): start, progress, next attempt, finish.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<JobRecord?> TryStartAsync(Guid id, DateTimeOffset startedAt, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, startedAt, static (job, version, startedAt) => job.Status == JobStatus.Queued ? Started(job, startedAt, version) : null, record: RecordStart));

    public ValueTask<JobRecord?> TryReportProgressAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Update(id, (attempt, progress, message), static (job, version, report) => IsRunning(job, report.attempt)
            ? job with { Progress = report.progress, ProgressMessage = report.message, Version = version }
            : null));

    public ValueTask<JobRecord?> TryStartNextAttemptAsync(Guid id, int failedAttempt, JobRetry retry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(retry);
        return ValueTask.FromResult(Update(
            id,
            (failedAttempt, retry),
            static (job, version, next) => IsRunning(job, next.failedAttempt)
                ? job with { Attempt = next.failedAttempt + 1, Progress = 0, ProgressMessage = next.retry.Message, Version = version }
                : null,
            record: static (history, before, after, next) =>
            {
                RecordEnd(history, before, after, next.retry.FailedAt, next.retry.Error);
                RecordStart(history, before, after, next.retry.NextStartsAt);
            }));
    }

    public ValueTask<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        var finished = Update(id, (expectedStatus, expectedAttempt, outcome), static (job, version, finish) => job.Status == finish.expectedStatus && !finish.expectedStatus.IsFinished() && job.Attempt == finish.expectedAttempt
            ? job with
            {
                Status = finish.outcome.Status,
                CompletedAt = finish.outcome.CompletedAt,
                Progress = finish.outcome.Status == JobStatus.Succeeded ? 1 : job.Progress,
                Result = finish.outcome.Result,
                Error = finish.outcome.Error,
                Version = version,
            }
            : null,
            record: static (history, before, after, finish) => RecordEnd(history, before, after, finish.outcome.CompletedAt, finish.outcome.Error));

        if (finished is not null)
        {
            OnFinished(finished);
        }

        return ValueTask.FromResult(finished);
    }
}
