using LongJobs.Server.Kinds;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// The registered kinds this server claims, and for those with a limit of their own (<see cref="JobKindOptions.MaxConcurrency"/>)
/// how many of their jobs hold a slot here, claims in flight included. Not thread-safe: <see cref="SlotPool"/> uses it
/// under its lock.
/// </summary>
internal sealed class KindSlots
{
    private readonly string[] _unlimited;
    private readonly Dictionary<string, Limited> _limited = new(StringComparer.Ordinal);

    public KindSlots(IEnumerable<JobKind> kinds)
    {
        var unlimited = new List<string>();
        foreach (var kind in kinds)
        {
            if (kind.MaxConcurrency is { } limit)
            {
                _limited[kind.Name] = new Limited(limit);
            }
            else
            {
                unlimited.Add(kind.Name);
            }
        }

        _unlimited = [.. unlimited];
    }

    /// <summary>
    /// Plans a claim of at most <paramref name="free"/> jobs: the kinds it may take (every kind, but those whose limit is
    /// reached) and how many jobs, so that no kind can pass its limit whichever jobs the claim takes.
    /// </summary>
    /// <returns>The kinds, and how many jobs to claim; no kinds when none may be claimed.</returns>
    public ClaimPlan Plan(int free)
    {
        if (_limited.Count == 0)
        {
            return new ClaimPlan(_unlimited, free, Capped: false);
        }

        var kinds = new List<string>(_unlimited);
        var count = free;
        var capped = false;
        foreach (var (name, limited) in _limited)
        {
            var room = limited.Limit - limited.Held;
            if (room <= 0)
            {
                capped = true;
                continue;
            }

            kinds.Add(name);
            count = Math.Min(count, room);
        }

        return new ClaimPlan([.. kinds], count, capped || count < free);
    }

    /// <summary>Holds the plan's count of slots for each limited kind of <paramref name="plan"/>: the claim may take that many of it.</summary>
    public void Reserve(ClaimPlan plan)
    {
        foreach (var name in plan.Kinds)
        {
            if (_limited.TryGetValue(name, out var limited))
            {
                limited.Held += plan.Count;
            }
        }
    }

    /// <summary>Holds one slot of <paramref name="kind"/>, unless the kind is at its limit.</summary>
    /// <returns>Whether the slot is held: always for a kind without a limit of its own.</returns>
    public bool TryReserveOne(string kind)
    {
        if (!_limited.TryGetValue(kind, out var limited))
        {
            return true;
        }

        if (limited.Held >= limited.Limit)
        {
            return false;
        }

        limited.Held++;
        return true;
    }

    /// <summary>Gives back <paramref name="count"/> slots of <paramref name="kind"/> (an ad-hoc job's, <see langword="null"/>, has none).</summary>
    public void Release(string? kind, int count)
    {
        if (kind is not null && count > 0 && _limited.TryGetValue(kind, out var limited))
        {
            limited.Held -= count;
        }
    }

    /// <summary>After a claim: gives back what each limited kind of <paramref name="plan"/> held and did not get.</summary>
    public void Settle(ClaimPlan plan, IEnumerable<string> claimedKinds)
    {
        if (_limited.Count == 0)
        {
            return;
        }

        var claimed = claimedKinds.CountBy(kind => kind, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        foreach (var name in plan.Kinds)
        {
            Release(name, plan.Count - claimed.GetValueOrDefault(name));
        }
    }

    private sealed class Limited(int limit)
    {
        public int Limit { get; } = limit;

        public int Held { get; set; }
    }
}

/// <summary>What one claim may take: jobs of <paramref name="Kinds"/>, at most <paramref name="Count"/>.</summary>
/// <param name="Kinds">The kinds it may take.</param>
/// <param name="Count">How many jobs at most: the free slots, or fewer so that no kind passes its limit.</param>
/// <param name="Capped">Whether a kind's limit left kinds out or made the claim smaller: jobs it did not take may still wait.</param>
internal readonly record struct ClaimPlan(string[] Kinds, int Count, bool Capped);
