using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// The recurring schedules of the registered kinds, by name, with the store's state of each: what
/// <see cref="IJobScheduler.GetSchedulesAsync"/> lists, and its pause and resume.
/// </summary>
internal sealed class ScheduleRegistry
{
    private readonly IJobSchedules _store;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (JobKind Kind, JobScheduleDefinition Definition)> _schedules;

    public ScheduleRegistry(JobKindRegistry kinds, IJobSchedules store, TimeProvider time)
    {
        _store = store;
        _time = time;
        _schedules = kinds.Schedules.ToDictionary(schedule => schedule.Schedule.Name, StringComparer.Ordinal);
    }

    /// <summary>Every schedule with its kind, by name.</summary>
    public IEnumerable<(JobKind Kind, JobScheduleDefinition Definition)> All => _schedules.Values.OrderBy(schedule => schedule.Definition.Name, StringComparer.Ordinal);

    /// <summary>The schedules' names.</summary>
    public IReadOnlyCollection<string> Names => _schedules.Keys;

    public async Task<IReadOnlyList<JobSchedule>> ListAsync(CancellationToken cancellationToken)
    {
        if (_schedules.Count == 0)
        {
            return [];
        }

        var states = (await _store.GetSchedulesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(state => state.Name, StringComparer.Ordinal);
        return [.. All.Select(schedule => Describe(schedule.Kind, schedule.Definition, states.GetValueOrDefault(schedule.Definition.Name)))];
    }

    public async Task<JobSchedule> PauseAsync(string name, CancellationToken cancellationToken)
    {
        var (kind, definition) = Find(name);
        var state = await _store.PauseScheduleAsync(definition.Name, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return Describe(kind, definition, state);
    }

    public async Task<JobSchedule> ResumeAsync(string name, CancellationToken cancellationToken)
    {
        var (kind, definition) = Find(name);
        await _store.ResumeScheduleAsync(definition.Name, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var states = await _store.GetSchedulesAsync(cancellationToken).ConfigureAwait(false);
        return Describe(kind, definition, states.FirstOrDefault(state => state.Name == definition.Name));
    }

    private (JobKind Kind, JobScheduleDefinition Definition) Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _schedules.TryGetValue(name, out var schedule) ? schedule : throw new KeyNotFoundException($"No schedule named '{name}' is added to a registered kind.");
    }

    /// <summary>A schedule as users see it; one the store does not know yet runs from now on.</summary>
    private JobSchedule Describe(JobKind kind, JobScheduleDefinition definition, StoredSchedule? state) => new()
    {
        Name = definition.Name,
        Kind = kind.Name,
        Cron = definition.Cron.Text,
        TimeZone = definition.Cron.Zone.Id,
        PausedAt = state?.PausedAt,
        NextRunAt = state?.PausedAt is not null ? null : definition.Cron.NextAfter(state?.DoneUntil ?? _time.GetUtcNow()),
        LastRunAt = state?.LastRunAt,
        LastJobId = state?.LastJobId,
    };
}
