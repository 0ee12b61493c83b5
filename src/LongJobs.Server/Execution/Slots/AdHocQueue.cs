using System.Diagnostics.CodeAnalysis;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// The ad-hoc jobs waiting for one of this server's slots, oldest first: only this server holds their delegates, so
/// they never go to the store's queue. A job that leaves the queue early (cancelled) is only marked, and skipped when
/// its turn comes: the queue is an array, with nothing to allocate per job. Not thread-safe: the
/// <see cref="SlotPool"/>'s lock guards it.
/// </summary>
internal sealed class AdHocQueue
{
    private readonly Queue<JobWorkItem> _items = new();

    public void Enqueue(JobWorkItem item)
    {
        item.IsWaiting = true;
        _items.Enqueue(item);
    }

    /// <summary>Takes a waiting item out of the queue.</summary>
    /// <returns>Whether it was waiting.</returns>
    public static bool Remove(JobWorkItem item)
    {
        if (!item.IsWaiting)
        {
            return false;
        }

        item.IsWaiting = false;
        return true;
    }

    public bool TryDequeue([NotNullWhen(true)] out JobWorkItem? item)
    {
        while (_items.TryDequeue(out item))
        {
            if (item.IsWaiting)
            {
                item.IsWaiting = false;
                return true;
            }
        }

        return false;
    }

    /// <summary>Empties the queue.</summary>
    /// <returns>The items that waited, oldest first.</returns>
    public List<JobWorkItem> DequeueAll()
    {
        var all = new List<JobWorkItem>(_items.Count);
        while (TryDequeue(out var item))
        {
            all.Add(item);
        }

        return all;
    }
}
