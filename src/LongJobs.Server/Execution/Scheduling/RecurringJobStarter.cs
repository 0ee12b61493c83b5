using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// Starts the occurrences of the recurring schedules as they come due. One loop per server, none elected: it reads the
/// schedules' state from the store, starts each due occurrence through the store (which lets one server per occurrence
/// do it, in the write that marks it done), and sleeps until the next due time of any schedule, a paused one's counted
/// from now (so a resume on another server is seen in time, as resuming never brings an occurrence forward). An
/// occurrence later than its schedule's <see cref="JobScheduleOptions.MisfireThreshold"/> was missed: the missed ones
/// start one job now, or none, as <see cref="JobScheduleOptions.Misfire"/> says. After a failure of the store the loop
/// tries again every <see cref="LongJobsOptions.QueuePollInterval"/>.
/// </summary>
internal sealed class RecurringJobStarter(IJobSchedules store, ScheduleRegistry schedules, JobSubmission submission, TimeProvider time, TimeSpan retryInterval, ILogger logger, CancellationToken shutdown)
{
    /// <summary>The longest sleep, with no occurrence due sooner (timers take no longer).</summary>
    internal static readonly TimeSpan MaxSleep = TimeSpan.FromDays(1);

    private readonly FailureEpisode _failures = new("Starting recurring jobs", logger, time);
    private Task? _loop;

    /// <summary>
    /// Checks that every schedule's request makes a job of its kind (valid, and keyed when the kind's jobs are unique),
    /// then starts the loop; without schedules, does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A schedule's request is not valid for its kind: the host does not start.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">A schedule's request is not valid for its kind.</exception>
    public void Start()
    {
        if (schedules.Names.Count == 0 || _loop is not null)
        {
            return;
        }

        foreach (var (kind, definition) in schedules.All)
        {
            try
            {
                submission.NewOccurrence(kind, definition.Request);
            }
            catch (Exception exception) when (exception is ArgumentException or System.ComponentModel.DataAnnotations.ValidationException)
            {
                throw new InvalidOperationException($"The request of schedule '{definition.Name}' makes no job of kind '{kind.Name}': {exception.Message}", exception);
            }
        }

        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>Waits for the loop to end; the host's shutdown ends it.</summary>
    public async Task StopAsync()
    {
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task LoopAsync()
    {
        var added = false;
        while (!shutdown.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                if (!added)
                {
                    await store.AddSchedulesAsync(schedules.Names, time.GetUtcNow(), shutdown).ConfigureAwait(false);
                    added = true;
                }

                wait = SleepUntil(await StartDueOccurrencesAsync().ConfigureAwait(false));
                _failures.Worked();
            }
            catch (Exception exception) when (!shutdown.IsCancellationRequested)
            {
                _failures.Failed(exception);
                wait = retryInterval;
            }

            try
            {
                await Task.Delay(wait, time, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private TimeSpan SleepUntil(DateTimeOffset? next)
    {
        if (next is not { } due)
        {
            return MaxSleep;
        }

        var untilDue = due - time.GetUtcNow();
        return untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue > MaxSleep ? MaxSleep : untilDue;
    }

    /// <summary>Starts every occurrence due now; returns the earliest due time after them.</summary>
    private async Task<DateTimeOffset?> StartDueOccurrencesAsync()
    {
        var states = (await store.GetSchedulesAsync(shutdown).ConfigureAwait(false)).ToDictionary(state => state.Name, StringComparer.Ordinal);
        DateTimeOffset? earliest = null;
        foreach (var (kind, definition) in schedules.All)
        {
            DateTimeOffset? next;
            if (states.TryGetValue(definition.Name, out var state))
            {
                next = await StartIfDueAsync(kind, definition, state).ConfigureAwait(false);
            }
            else
            {
                // Not in the store (removed by hand, or a store emptied): it runs from now on, as a new schedule does.
                await store.AddSchedulesAsync([definition.Name], time.GetUtcNow(), shutdown).ConfigureAwait(false);
                next = definition.Cron.NextAfter(time.GetUtcNow());
            }

            if (next < earliest || earliest is null)
            {
                earliest = next;
            }
        }

        return earliest;
    }

    /// <summary>Starts the schedule's occurrence if one is due (or the missed ones, as its misfire policy says); returns its next due time.</summary>
    private async Task<DateTimeOffset?> StartIfDueAsync(JobKind kind, JobScheduleDefinition schedule, StoredSchedule state)
    {
        var now = time.GetUtcNow();
        if (state.PausedAt is not null)
        {
            return schedule.Cron.NextAfter(state.DoneUntil > now ? state.DoneUntil : now);
        }

        var next = schedule.Cron.NextAfter(state.DoneUntil);
        if (next is not { } due || due > now)
        {
            return next;
        }

        var missedFrom = due;
        var missed = now - due > schedule.MisfireThreshold;
        if (missed)
        {
            due = schedule.Cron.LatestAtOrBefore(now, state.DoneUntil) ?? due;
        }

        var start = !missed || schedule.Misfire == ScheduleMisfirePolicy.RunOnce;
        var advance = await store.AdvanceScheduleAsync(schedule.Name, due, start ? submission.NewOccurrence(kind, schedule.Request) : null, shutdown).ConfigureAwait(false);
        if (advance.Advanced && missed)
        {
            if (start)
            {
                Log.MissedOccurrencesRunOnce(logger, schedule.Name, missedFrom, due);
            }
            else
            {
                Log.MissedOccurrencesSkipped(logger, schedule.Name, missedFrom, due);
            }
        }

        if (advance.Job is { } job)
        {
            Log.OccurrenceStarted(logger, schedule.Name, job.Id, job.Kind, due);
            submission.Queued(job);
        }
        else if (advance.Advanced && start)
        {
            Log.OccurrenceDeduplicated(logger, schedule.Name, kind.Name, due);
        }

        return schedule.Cron.NextAfter(due);
    }
}
