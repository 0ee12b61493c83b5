namespace LongJobs.Server.Jobs;

/// <summary>A job's attempts and its log, as its store keeps them with the job (retention removes them with it).</summary>
/// <param name="Attempts">Every attempt, the first first; the last one has no outcome while it runs.</param>
/// <param name="Log">The last lines the job wrote, oldest first: at most <see cref="LongJobsOptions.MaxLogLinesPerJob"/>.</param>
/// <param name="RemovedLogLines">How many older lines were removed to keep within that bound.</param>
public sealed record JobHistory(IReadOnlyList<JobAttempt> Attempts, IReadOnlyList<JobLogLine> Log, int RemovedLogLines);
