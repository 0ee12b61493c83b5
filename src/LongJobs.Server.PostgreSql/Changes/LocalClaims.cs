using System.Collections.Concurrent;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql.Changes;

/// <summary>
/// The jobs this node just claimed, in their claimed state, until they finish here or a follower takes them. A job
/// queued here is often followed (its handle waits while it is queued) until this node's claim takes it; the claim's
/// own notification wakes that follower, often before the claim's answer is read. The follower waits for the claims
/// in flight to settle and takes the claimed state from here instead of reading the job back.
/// </summary>
internal sealed class LocalClaims
{
    /// <summary>How many claimed jobs' states are kept at most: beyond that (jobs this node lost to others), followers read.</summary>
    private const int MaxKept = 10_000;

    private readonly ConcurrentDictionary<Guid, JobRecord> _kept = new();
    private readonly List<Task> _inFlight = [];

    /// <summary>Marks a claim in flight until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_inFlight)
        {
            _inFlight.Add(settled.Task);
        }

        return new Scope(this, settled);
    }

    /// <summary>Keeps the state of a job a claim in flight took.</summary>
    public void Keep(JobRecord job)
    {
        if (_kept.Count >= MaxKept)
        {
            _kept.Clear();
        }

        _kept[job.Id] = job;
    }

    /// <summary>Forgets a job that finished here.</summary>
    public void Forget(Guid id) => _kept.TryRemove(id, out _);

    /// <summary>Completes when every claim in flight now has settled (its jobs kept).</summary>
    public Task SettledAsync()
    {
        lock (_inFlight)
        {
            return _inFlight.Count == 0 ? Task.CompletedTask : Task.WhenAll(_inFlight.ToArray());
        }
    }

    /// <summary>Takes the claimed state of job <paramref name="id"/> if this node claimed it in a version newer than <paramref name="knownVersion"/>.</summary>
    public JobRecord? TakeNewerThan(Guid id, long knownVersion) =>
        _kept.TryRemove(id, out var claimed) && claimed.Version > knownVersion ? claimed : null;

    private void End(TaskCompletionSource settled)
    {
        lock (_inFlight)
        {
            _inFlight.Remove(settled.Task);
        }

        settled.TrySetResult();
    }

    /// <summary>One claim in flight; disposing it settles the claim.</summary>
    internal readonly struct Scope(LocalClaims claims, TaskCompletionSource settled) : IDisposable
    {
        public void Dispose() => claims.End(settled);
    }
}
