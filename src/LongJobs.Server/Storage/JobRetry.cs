using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>A transient failure retried in place: what <see cref="IJobAttempts.TryStartNextAttemptAsync"/> writes.</summary>
/// <param name="Message">Says why and when the job runs again: the job's progress message until the next attempt reports.</param>
/// <param name="FailedAt">When the failed attempt ended.</param>
/// <param name="NextStartsAt">When the next attempt starts: after the retry's backoff.</param>
/// <param name="Error">The failed attempt's error, as its history shows it.</param>
public sealed record JobRetry(string Message, DateTimeOffset FailedAt, DateTimeOffset NextStartsAt, JobError? Error = null);
