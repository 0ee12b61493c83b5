using System.Diagnostics.CodeAnalysis;

namespace LongJobs.Server.Execution.Slots;

/// <summary>
/// The ad-hoc jobs waiting for one of this server's slots, oldest first: only this server holds their delegates, so
/// they never go to the store's queue. Not thread-safe: the <see cref="SlotPool"/>'s lock guards it.
/// </summary>
internal sealed class AdHocQueue
{
    private readonly LinkedList<JobWorkItem> _items = new();

    public void Enqueue(JobWorkItem item) => item.QueueNode = _items.AddLast(item);

    /// <summary>Takes a waiting item out of the queue.</summary>
    /// <returns>Whether it was waiting.</returns>
    public bool Remove(JobWorkItem item)
    {
        if (item.QueueNode is not { } node)
        {
            return false;
        }

        _items.Remove(node);
        item.QueueNode = null;
        return true;
    }

    public bool TryDequeue([NotNullWhen(true)] out JobWorkItem? item)
    {
        if (_items.First is not { } first)
        {
            item = null;
            return false;
        }

        _items.RemoveFirst();
        item = first.Value;
        item.QueueNode = null;
        return true;
    }

    /// <summary>Empties the queue.</summary>
    /// <returns>The items that waited, oldest first.</returns>
    public List<JobWorkItem> DequeueAll()
    {
        List<JobWorkItem> all = [.. _items];
        _items.Clear();
        foreach (var item in all)
        {
            item.QueueNode = null;
        }

        return all;
    }
}
