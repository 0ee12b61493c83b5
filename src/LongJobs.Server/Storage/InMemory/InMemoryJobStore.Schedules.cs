namespace LongJobs.Server.Storage.InMemory;

/// <summary>The recurring schedules' state (<see cref="IJobSchedules"/>): one lock makes each occurrence's advance and insert one step.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<string, StoredSchedule> _schedules = new(StringComparer.Ordinal);

    public ValueTask AddSchedulesAsync(IReadOnlyCollection<string> names, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        lock (_schedules)
        {
            foreach (var name in names)
            {
                ArgumentException.ThrowIfNullOrEmpty(name, nameof(names));
                _schedules.TryAdd(name, new StoredSchedule(name, now, LastRunAt: null, LastJobId: null, PausedAt: null));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<StoredSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default)
    {
        lock (_schedules)
        {
            return ValueTask.FromResult<IReadOnlyList<StoredSchedule>>([.. _schedules.Values.OrderBy(schedule => schedule.Name, StringComparer.Ordinal)]);
        }
    }

    public ValueTask<ScheduleAdvance> AdvanceScheduleAsync(string schedule, DateTimeOffset due, JobRecord? job, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        if (job?.IdempotencyKey is not null)
        {
            throw new ArgumentException("An occurrence's job has no idempotency key.", nameof(job));
        }

        lock (_schedules)
        {
            if (!_schedules.TryGetValue(schedule, out var state) || state.PausedAt is not null || state.DoneUntil >= due)
            {
                return ValueTask.FromResult(new ScheduleAdvance(false, null));
            }

            // Under this lock no other call advances the schedule meanwhile.
            var stored = job is null ? null : Insert(job, startedAt: null);
            var inserted = stored is not null && stored.Id == job!.Id ? stored : null;
            _schedules[schedule] = inserted is null
                ? state with { DoneUntil = due }
                : state with { DoneUntil = due, LastRunAt = due, LastJobId = inserted.Id };
            return ValueTask.FromResult(new ScheduleAdvance(true, inserted));
        }
    }

    public ValueTask<StoredSchedule> PauseScheduleAsync(string schedule, DateTimeOffset pausedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        lock (_schedules)
        {
            var state = _schedules.GetValueOrDefault(schedule) ?? new StoredSchedule(schedule, pausedAt, LastRunAt: null, LastJobId: null, PausedAt: null);
            return ValueTask.FromResult(_schedules[schedule] = state.PausedAt is null ? state with { PausedAt = pausedAt } : state);
        }
    }

    public ValueTask<bool> ResumeScheduleAsync(string schedule, DateTimeOffset resumedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedule);
        lock (_schedules)
        {
            if (!_schedules.TryGetValue(schedule, out var state) || state.PausedAt is null)
            {
                return ValueTask.FromResult(false);
            }

            _schedules[schedule] = state with { PausedAt = null, DoneUntil = state.DoneUntil > resumedAt ? state.DoneUntil : resumedAt };
            return ValueTask.FromResult(true);
        }
    }
}
