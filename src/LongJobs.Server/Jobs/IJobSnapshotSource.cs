namespace LongJobs.Server.Jobs;

/// <summary>
/// A job's state as its store holds it (the store's row), which a <see cref="LongRunningJob"/> follows: it reads the
/// few fields it needs on every change, and makes the user's <see cref="JobSnapshot"/> only when someone reads
/// <see cref="LongRunningJob.State"/>, so following a job copies nothing per change.
/// </summary>
internal interface IJobSnapshotSource
{
    /// <summary>The job's ID.</summary>
    Guid Id { get; }

    /// <summary>The job kind's name.</summary>
    string Kind { get; }

    /// <summary>Where the job is in its lifecycle.</summary>
    JobStatus Status { get; }

    /// <summary>Why the job failed or was stopped, if it did.</summary>
    JobError? Error { get; }

    /// <summary>Increases with every change of the job.</summary>
    long Version { get; }

    /// <summary>The state as the job's users may see it.</summary>
    JobSnapshot ToSnapshot();
}
