namespace LongJobs.Server.Storage;

/// <summary>
/// The paused job kinds, a role of <see cref="IJobStore"/> shared by every server using the store: the queued jobs of a
/// paused kind wait, as no claim (<see cref="IQueuedJobs.ClaimAsync"/>) takes them, until the kind is resumed; its
/// running jobs are not touched, and new jobs of it are still accepted.
/// </summary>
public interface IKindPauses
{
    /// <summary>Reads the paused kinds.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Every paused kind with the time it was paused, by name.</returns>
    ValueTask<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default);

    /// <summary>Pauses <paramref name="kind"/>; pausing a paused kind changes nothing.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="pausedAt">When it is paused.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The kind's pause: this one, or the earlier one it was already paused by.</returns>
    ValueTask<KindPause> PauseKindAsync(string kind, DateTimeOffset pausedAt, CancellationToken cancellationToken = default);

    /// <summary>Resumes <paramref name="kind"/>: its queued jobs are claimed again. Resuming a kind not paused changes nothing.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the kind was paused.</returns>
    ValueTask<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default);
}

/// <summary>A paused job kind.</summary>
/// <param name="Kind">The kind's name.</param>
/// <param name="PausedAt">When it was paused.</param>
public sealed record KindPause(string Kind, DateTimeOffset PausedAt);
