namespace LongJobs.Server.Execution.Claiming;

/// <summary>
/// Whether taking jobs from the store's queue fails, as the claims that run at once (the claim loop's and those of
/// starting jobs) see it: one outage is logged once, and so is its end. Each change of state is one atomic exchange,
/// so of two claims that fail (or work) at once only one reports it.
/// </summary>
internal sealed class ClaimHealth
{
    private int _failing;

    /// <summary>Whether the last claim failed.</summary>
    public bool IsFailing => Volatile.Read(ref _failing) == 1;

    /// <summary>Notes a claim that failed.</summary>
    /// <returns>Whether claims worked until now: the caller reports the outage.</returns>
    public bool TryMarkFailing() => Interlocked.Exchange(ref _failing, 1) == 0;

    /// <summary>Notes a claim that worked.</summary>
    /// <returns>Whether claims failed until now: the caller reports that they work again.</returns>
    public bool TryMarkWorking() => Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1;
}
