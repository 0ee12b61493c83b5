namespace LongJobs.Server.Jobs;

/// <summary>A completion callback registered for every job, or for the jobs of one kind.</summary>
/// <param name="Kind">The kind whose jobs it is called for, or <see langword="null"/> for every job.</param>
/// <param name="Callback">The callback.</param>
internal sealed record JobFinishedCallback(string? Kind, Func<FinishedJob, CancellationToken, Task> Callback);
