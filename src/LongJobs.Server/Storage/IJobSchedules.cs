namespace LongJobs.Server.Storage;

/// <summary>
/// The state of the recurring schedules, a role of <see cref="IJobStore"/> shared by every server using the store: for
/// each schedule, the due time up to which its occurrences are done, its last job, and whether it is paused. Schedules
/// themselves are declared in code; the store keeps only this state, by name.
/// </summary>
public interface IJobSchedules
{
    /// <summary>Adds the schedules not known to the store yet, done up to <paramref name="now"/>: occurrences before it never run. Known ones are left as they are.</summary>
    /// <param name="names">The schedules' names.</param>
    /// <param name="now">The time the new schedules are done up to.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schedules are stored.</returns>
    ValueTask AddSchedulesAsync(IReadOnlyCollection<string> names, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads the state of every schedule the store knows.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schedules, by name.</returns>
    ValueTask<IReadOnlyList<StoredSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the occurrence of <paramref name="schedule"/> due at <paramref name="due"/> as done and, in the same atomic
    /// write, adds <paramref name="job"/> as <see cref="IJobRecords.InsertAsync"/> would; only if the schedule is known, not
    /// paused and done up to an earlier time. So of all the servers that try one occurrence, one starts its job, once;
    /// a repeat after a lost answer changes nothing. A job whose <see cref="JobRecord.UniqueKey"/> an unfinished job of
    /// its kind holds is not added, but the occurrence is still done.
    /// </summary>
    /// <param name="schedule">The schedule's name.</param>
    /// <param name="due">The occurrence's due time.</param>
    /// <param name="job">The occurrence's job (without an idempotency key), or <see langword="null"/> to mark the occurrence done without one (a missed occurrence skipped).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether this call marked the occurrence done, and the job it added.</returns>
    ValueTask<ScheduleAdvance> AdvanceScheduleAsync(string schedule, DateTimeOffset due, JobRecord? job, CancellationToken cancellationToken = default);

    /// <summary>Pauses a schedule: no occurrence of it starts until it is resumed. Pausing a paused schedule changes nothing.</summary>
    /// <param name="schedule">The schedule's name; one the store does not know yet is added, done up to <paramref name="pausedAt"/>.</param>
    /// <param name="pausedAt">When it is paused.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schedule's state.</returns>
    ValueTask<StoredSchedule> PauseScheduleAsync(string schedule, DateTimeOffset pausedAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a paused schedule. The occurrences due while it was paused are not caught up: it is done up to
    /// <paramref name="resumedAt"/>. Resuming a schedule not paused changes nothing.
    /// </summary>
    /// <param name="schedule">The schedule's name.</param>
    /// <param name="resumedAt">When it is resumed.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the schedule was paused.</returns>
    ValueTask<bool> ResumeScheduleAsync(string schedule, DateTimeOffset resumedAt, CancellationToken cancellationToken = default);
}

/// <summary>The stored state of a recurring schedule.</summary>
/// <param name="Name">The schedule's name.</param>
/// <param name="DoneUntil">The due time up to which its occurrences are done (started, or skipped): the next is the first after it.</param>
/// <param name="LastRunAt">The due time of the last occurrence that started a job, if any.</param>
/// <param name="LastJobId">That job's ID.</param>
/// <param name="PausedAt">When it was paused, while it is.</param>
public sealed record StoredSchedule(string Name, DateTimeOffset DoneUntil, DateTimeOffset? LastRunAt, Guid? LastJobId, DateTimeOffset? PausedAt);

/// <summary>What <see cref="IJobSchedules.AdvanceScheduleAsync"/> did.</summary>
/// <param name="Advanced">Whether this call marked the occurrence done (another server did not, the schedule was not paused).</param>
/// <param name="Job">The job it added, or <see langword="null"/>.</param>
public readonly record struct ScheduleAdvance(bool Advanced, JobRecord? Job);
