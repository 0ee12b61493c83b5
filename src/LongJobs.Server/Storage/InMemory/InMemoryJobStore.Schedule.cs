using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The jobs started for later (<see cref="IScheduledJobs"/>), in the order they come due.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly SortedSet<(DateTimeOffset NotBefore, Guid Id)> _scheduled = [];

    public ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken = default)
    {
        lock (_scheduled)
        {
            return ValueTask.FromResult<DateTimeOffset?>(_scheduled.Count > 0 ? _scheduled.Min.NotBefore : null);
        }
    }

    public ValueTask<int> QueueDueJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        List<(DateTimeOffset NotBefore, Guid Id)> due;
        lock (_scheduled)
        {
            due = [.. _scheduled.TakeWhile(job => job.NotBefore <= now).Take(limit)];
        }

        var queued = 0;
        foreach (var (notBefore, id) in due)
        {
            if (Update(id, 0, static (job, version, _) => job.Status == JobStatus.Scheduled ? job with { Status = JobStatus.Queued, Version = version } : null) is not null)
            {
                queued++;
            }
            else
            {
                // Cancelled or removed while it was being added: its entry must not stay due for ever.
                lock (_scheduled)
                {
                    _scheduled.Remove((notBefore, id));
                }
            }
        }

        return ValueTask.FromResult(queued);
    }

    /// <summary>No other server shares this store: nothing is ever scheduled behind the scheduler's back.</summary>
    public Task WaitForScheduledJobsAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    /// <summary>The status a job is added in: <see cref="JobStatus.Scheduled"/> when it asks to be, with its time; otherwise queued.</summary>
    private static JobStatus InitialStatus(JobRecord job)
    {
        if (job.Status != JobStatus.Scheduled)
        {
            return JobStatus.Queued;
        }

        return job.NotBefore is not null ? JobStatus.Scheduled : throw new ArgumentException("A scheduled job needs the time it runs at (NotBefore).", nameof(job));
    }

    private void Schedule(JobRecord job)
    {
        lock (_scheduled)
        {
            _scheduled.Add((job.NotBefore!.Value, job.Id));
        }
    }

    private void Unschedule(JobRecord job)
    {
        lock (_scheduled)
        {
            _scheduled.Remove((job.NotBefore!.Value, job.Id));
        }
    }
}
