namespace LongJobs.Server.Jobs;

/// <summary>One attempt of a job: one run of its work, on one server, from its start to its end.</summary>
public sealed record JobAttempt
{
    /// <summary>Which attempt it is, from 1 (the job's <see cref="JobSnapshot.Attempt"/> while it runs).</summary>
    public required int Number { get; init; }

    /// <summary>When the attempt started; for an attempt after a transient failure, when the retry's backoff ended.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the attempt ended, or <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The name of the server (node) that ran it, if the store knows it.</summary>
    public string? Node { get; init; }

    /// <summary>How the attempt ended, or <see langword="null"/> while it runs.</summary>
    public JobAttemptOutcome? Outcome { get; init; }

    /// <summary>Why the attempt did not succeed, when known: the job's error, the transient failure that was retried, or the lost server.</summary>
    public JobError? Error { get; init; }
}
