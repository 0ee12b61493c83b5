using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>The jobs' attempts and logs (<see cref="IJobHistory"/>), kept in each job's entry and removed with it.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<JobHistory?> GetHistoryAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (!_jobs.TryGetValue(id, out var entry))
        {
            return ValueTask.FromResult<JobHistory?>(null);
        }

        lock (entry)
        {
            return ValueTask.FromResult<JobHistory?>(entry.IsRemoved ? null
                : entry.History is { } history ? new JobHistory([.. history.Attempts], [.. history.Log], history.RemovedLogLines)
                : new JobHistory([], [], 0));
        }
    }

    public ValueTask AppendLogAsync(IReadOnlyList<JobLogEntry> entries, int keepLast, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keepLast);
        foreach (var (jobId, line) in entries)
        {
            if (!_jobs.TryGetValue(jobId, out var entry))
            {
                continue;
            }

            lock (entry)
            {
                if (!entry.IsRemoved)
                {
                    (entry.History ??= new History()).Append(line, keepLast);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Opens the attempt a job started in.</summary>
    private static void RecordStart(History history, JobRecord before, JobRecord after, DateTimeOffset startedAt) =>
        history.Attempts.Add(new JobAttempt { Number = after.Attempt, StartedAt = startedAt, Node = Node });

    /// <summary>Closes the attempt a job ran in, when it was running, as the change to <paramref name="after"/> ends it.</summary>
    private static void RecordEnd(History history, JobRecord before, JobRecord after, DateTimeOffset endedAt, JobError? error)
    {
        if (before.Status != JobStatus.Running)
        {
            return;
        }

        var outcome = after.Status switch
        {
            JobStatus.Succeeded => JobAttemptOutcome.Succeeded,
            JobStatus.Failed => JobAttemptOutcome.Failed,
            JobStatus.Canceled => JobAttemptOutcome.Canceled,
            _ => JobAttemptOutcome.Retried,
        };
        var index = history.Attempts.FindLastIndex(attempt => attempt.Number == before.Attempt);
        var open = index >= 0 ? history.Attempts[index] : new JobAttempt { Number = before.Attempt, StartedAt = before.StartedAt ?? endedAt, Node = Node };
        var closed = open with { EndedAt = endedAt, Outcome = outcome, Error = error };
        if (index >= 0)
        {
            history.Attempts[index] = closed;
        }
        else
        {
            history.Attempts.Add(closed);
        }
    }

    /// <summary>One job's attempts and its last log lines.</summary>
    private sealed class History
    {
        public List<JobAttempt> Attempts { get; } = [];

        public Queue<JobLogLine> Log { get; } = new();

        public int RemovedLogLines { get; private set; }

        public void Append(JobLogLine line, int keepLast)
        {
            Log.Enqueue(line);
            while (Log.Count > keepLast)
            {
                Log.Dequeue();
                RemovedLogLines++;
            }
        }
    }
}
