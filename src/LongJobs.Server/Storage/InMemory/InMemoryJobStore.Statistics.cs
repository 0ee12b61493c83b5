using LongJobs.Server.Jobs;

namespace LongJobs.Server.Storage.InMemory;

/// <summary>
/// The overview's counts (<see cref="IJobStatistics"/>): one pass over the jobs held, which this store bounds
/// (<see cref="LongJobsOptions.MaxRetainedJobs"/> finished jobs, and the unfinished ones), as its lists do.
/// </summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<JobStatistics> CountJobsAsync(JobStatisticsQuery query, CancellationToken cancellationToken = default)
    {
        JobStatisticsQueries.Validate(query);
        var unfinished = new Dictionary<(string Kind, JobStatus Status), int>();
        var perStatus = new Dictionary<JobStatus, int>();
        var finished = new List<JobRecord>();
        foreach (var entry in _jobs.Values)
        {
            var job = entry.Current;
            if (query.Owner is { } owner && !string.Equals(job.Owner ?? JobQuery.NoOwner, owner, StringComparison.Ordinal))
            {
                continue;
            }

            if (!job.Status.IsFinished())
            {
                if (perStatus.GetValueOrDefault(job.Status) < query.CountAtMost)
                {
                    perStatus[job.Status] = perStatus.GetValueOrDefault(job.Status) + 1;
                    unfinished[(job.Kind, job.Status)] = unfinished.GetValueOrDefault((job.Kind, job.Status)) + 1;
                }
            }
            else if (job.CompletedAt is { } completedAt && completedAt >= query.Since && completedAt < query.Until)
            {
                finished.Add(job);
            }
        }

        var counted = finished.OrderByDescending(job => job.CompletedAt).ThenByDescending(job => job.Id).Take(query.FinishedAtMost).ToList();
        var counts = unfinished.Select(count => new JobCount(count.Key.Kind, count.Key.Status, count.Value))
            .Concat(counted.GroupBy(job => (job.Kind, job.Status)).Select(group => new JobCount(group.Key.Kind, group.Key.Status, group.Count())));
        var buckets = counted
            .GroupBy(job => (Start: JobStatisticsQueries.BucketOf(job.CompletedAt!.Value, query), job.Status))
            .Select(group => new JobBucketCount(group.Key.Start, group.Key.Status, group.Count()));
        return ValueTask.FromResult(new JobStatistics([.. counts], [.. buckets]));
    }
}
