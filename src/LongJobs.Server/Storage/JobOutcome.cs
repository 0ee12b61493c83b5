using System.Text.Json;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage;

/// <summary>How a job finished: what <see cref="IJobAttempts.TryFinishAsync"/> writes.</summary>
/// <param name="Status">A finished status.</param>
/// <param name="CompletedAt">When the job finished.</param>
/// <param name="Result">The serialised result of a job that succeeded.</param>
/// <param name="Error">Why a job failed or was stopped.</param>
public sealed record JobOutcome(JobStatus Status, DateTimeOffset CompletedAt, JsonElement? Result = null, JobError? Error = null);
