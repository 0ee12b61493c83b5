using System.Runtime.ExceptionServices;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Observability;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>Bulk starts: many jobs of one registered kind admitted together, stored with one insert, claimed once.</summary>
internal sealed partial class JobSubmission
{
    public async Task<IReadOnlyList<LongRunningJob>> StartManyAsync(string kind, IEnumerable<object> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var jobKind = FindKind(kind);
        var starts = new List<ValidatedStart>();
        foreach (var request in requests)
        {
            ArgumentNullException.ThrowIfNull(request, nameof(requests));
            EnsureValidRequest(jobKind, request, starts.Count);
            string? uniqueKey;
            int priority;
            try
            {
                uniqueKey = jobKind.UniqueKeyOf(request);
                priority = jobKind.PriorityOf(request);
            }
            catch (ArgumentException exception)
            {
                throw new ArgumentException($"Request {starts.Count}: {exception.Message}", nameof(requests), exception.InnerException);
            }

            starts.Add(new ValidatedStart(request, Owner: null, IdempotencyKey: null, Notifications: null, uniqueKey, priority));
        }

        var started = await StartRegisteredManyAsync(jobKind, starts, withHandle: true, cancellationToken).ConfigureAwait(false);
        return [.. started.Select(start => start.Job ?? HandleOf(jobKind, start.State))];
    }

    /// <inheritdoc cref="IRegisteredJobStarter.StartValidatedManyAsync"/>
    public async Task<IReadOnlyList<(JobRecord State, StartOutcome Outcome)>> StartValidatedManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, CancellationToken cancellationToken)
    {
        var started = await StartRegisteredManyAsync(kind, starts, withHandle: false, cancellationToken).ConfigureAwait(false);
        return [.. started.Select(start => (start.State, start.Outcome))];
    }

    /// <summary>
    /// Queues jobs of a registered kind in the store, admitted together and stored together, then claims from the queue
    /// once if a slot is free. With <paramref name="withHandle"/>, each new job gets a handle that completes when it
    /// finishes, wherever it runs; a start answered with another job (its idempotency key or unique key was taken) gets none.
    /// </summary>
    private async Task<IReadOnlyList<(LongRunningJob? Job, JobRecord State, StartOutcome Outcome)>> StartRegisteredManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, bool withHandle, CancellationToken cancellationToken)
    {
        if (starts.Count == 0)
        {
            return [];
        }

        var records = new JobRecord[starts.Count];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = NewRecord(kind, starts[i]);
        }

        await admission.EnsureAcceptingAsync(records.Length, cancellationToken).ConfigureAwait(false);

        // The handles are known before the jobs are queued: a claim may take a job the moment it is stored.
        var handles = withHandle ? Array.ConvertAll(records, kind.CreateJob) : null;
        foreach (var handle in handles ?? [])
        {
            followed.Add(handle, kind);
        }

        IReadOnlyList<JobRecord> stored;
        try
        {
            stored = await InsertManyOrReadBackAsync(records, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var record in records)
            {
                followed.Forget(record.Id);
            }

            throw;
        }

        var results = new (LongRunningJob? Job, JobRecord State, StartOutcome Outcome)[records.Length];
        var queued = new Dictionary<Guid, int>();
        for (var i = 0; i < records.Length; i++)
        {
            if (stored[i].Id != records[i].Id)
            {
                followed.Forget(records[i].Id);
                results[i] = (null, stored[i], OutcomeOf(records[i], stored[i]));
                if (results[i].Outcome == StartOutcome.Deduplicated)
                {
                    Log.JobDeduplicated(logger, stored[i].Id, stored[i].Kind);
                }

                continue;
            }

            Log.JobQueued(logger, stored[i].Id, stored[i].Kind);
            handles?[i].Recorded(records[i], stored[i]);
            results[i] = (handles?[i], stored[i], StartOutcome.New);
            queued[stored[i].Id] = i;
        }

        if (queued.Count == 0)
        {
            return results;
        }

        topology.NoteQueueChange(queued.Count);
        claimer.MayHaveQueuedJobs();
        claimer.EnsureStarted();
        foreach (var claimed in await claimer.ClaimWhileSlotsFreeAsync().ConfigureAwait(false))
        {
            if (queued.TryGetValue(claimed.Id, out var i))
            {
                results[i].State = claimed;
            }
        }

        foreach (var handle in handles ?? [])
        {
            followed.FollowIfWaiting(handle.Id);
        }

        return results;
    }

    /// <summary>
    /// Inserts <paramref name="jobs"/> together. A store that becomes unreachable while inserting cannot say whether
    /// they were stored: then each is read back by its ID. When none is found, nothing says the insert took effect, and
    /// its failure is thrown; otherwise the insert took effect, and those not found (their idempotency keys were taken,
    /// or the store wrote them in more than one statement) are inserted again, which answers each with its job.
    /// </summary>
    private async Task<IReadOnlyList<JobRecord>> InsertManyOrReadBackAsync(JobRecord[] jobs, CancellationToken cancellationToken)
    {
        try
        {
            return await records.InsertManyAsync(jobs, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException failure) when (failure.MayHaveChanged)
        {
            var found = new JobRecord?[jobs.Length];
            try
            {
                for (var i = 0; i < jobs.Length; i++)
                {
                    found[i] = await records.GetAsync(jobs[i].Id, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (JobStoreUnavailableException)
            {
                Log.InsertOutcomeUnknown(logger, jobs[0].Id, jobs[0].Kind);
                ExceptionDispatchInfo.Throw(failure);
                throw;
            }

            if (Array.TrueForAll(found, job => job is null))
            {
                throw;
            }

            Log.InsertFoundAfterLostAnswer(logger, jobs[0].Id, jobs[0].Kind);
            var missing = jobs.Where((_, i) => found[i] is null).ToArray();
            var inserted = missing.Length == 0 ? [] : await records.InsertManyAsync(missing, cancellationToken).ConfigureAwait(false);
            var next = 0;
            return [.. found.Select(job => job ?? inserted[next++])];
        }
    }
}
