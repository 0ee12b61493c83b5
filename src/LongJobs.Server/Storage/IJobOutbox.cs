namespace LongJobs.Server.Storage;

/// <summary>
/// The notifications of finished jobs still to be delivered, a role of <see cref="IJobStore"/>: an outbox that every
/// server sharing the store works off, so a notification outlives the server that finished its job. A job enters it in
/// the same change that finishes it, when it asked to be notified (<see cref="JobRecord.Notifications"/> not empty),
/// due at once; it leaves when <see cref="ReleaseNotificationsAsync"/> says nothing more is due.
/// </summary>
public interface IJobOutbox
{
    /// <summary>
    /// Takes up to <paramref name="limit"/> finished jobs whose notifications are due at <paramref name="now"/>, the
    /// earliest due first, and that no claimant holds (or whose claimant's lease ran out): each is held by
    /// <paramref name="claimant"/> until <paramref name="now"/> + <paramref name="lease"/>. Concurrent claims, from
    /// this server or others sharing the store, never take the same job while its lease runs.
    /// </summary>
    /// <param name="claimant">Who claims: a value unique to this server's outbox worker.</param>
    /// <param name="now">The current time.</param>
    /// <param name="lease">How long the claimant may hold the jobs before another may take them.</param>
    /// <param name="limit">How many jobs to take at most.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The claimed jobs' states, with their deliveries so far; empty when none is due.</returns>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueNotificationsAsync(Guid claimant, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back a job that <paramref name="claimant"/> holds: due again at <paramref name="nextDueAt"/>, or out of the
    /// outbox when it is <see langword="null"/> (every notification delivered or given up). Does nothing when the job
    /// is not held by <paramref name="claimant"/> (its lease ran out and another took it), or is gone.
    /// </summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="claimant">Who claimed it.</param>
    /// <param name="nextDueAt">When its notifications are due again, or <see langword="null"/> when none is.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the job is released.</returns>
    ValueTask ReleaseNotificationsAsync(Guid id, Guid claimant, DateTimeOffset? nextDueAt, CancellationToken cancellationToken = default);
}
