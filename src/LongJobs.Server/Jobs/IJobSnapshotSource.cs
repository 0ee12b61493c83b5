namespace LongJobs.Server.Jobs;

/// <summary>
/// A job's state as its store holds it (the store's row), which a <see cref="LongRunningJob"/> follows: its properties
/// read the row as it is, and <see cref="LongRunningJob.State"/> makes the user's <see cref="JobSnapshot"/> only when
/// read, so following a job copies nothing per change.
/// </summary>
internal interface IJobSnapshotSource
{
    /// <summary>The job's ID.</summary>
    Guid Id { get; }

    /// <summary>The job kind's name.</summary>
    string Kind { get; }

    /// <summary>Where the job is in its lifecycle.</summary>
    JobStatus Status { get; }

    /// <summary>Completed fraction of the work, from 0 to 1.</summary>
    double Progress { get; }

    /// <summary>The job's last progress message, if any.</summary>
    string? ProgressMessage { get; }

    /// <summary>When the job was accepted.</summary>
    DateTimeOffset CreatedAt { get; }

    /// <summary>When the job started running, once it has.</summary>
    DateTimeOffset? StartedAt { get; }

    /// <summary>When the job finished, once it has.</summary>
    DateTimeOffset? CompletedAt { get; }

    /// <summary>Why the job failed or was stopped, if it did.</summary>
    JobError? Error { get; }

    /// <summary>Increases with every change of the job.</summary>
    long Version { get; }

    /// <summary>The state as the job's users may see it.</summary>
    JobSnapshot ToSnapshot();
}
