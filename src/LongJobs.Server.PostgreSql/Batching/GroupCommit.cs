namespace LongJobs.Server.PostgreSql.Batching;

/// <summary>
/// Coalesces concurrent single writes (or reads) into one statement each flush (group commit): a write that comes while no flush
/// runs is flushed at once, alone, so a quiet store adds no latency; writes that come while a flush runs wait for it
/// and go together in the next, up to <paramref name="maxBatch"/>, so a busy store pays one round trip and one commit
/// per flush instead of per write. The items of one flush have distinct keys (statements match their rows to items by
/// job ID): an item whose key is in the flush being gathered goes in the next.
/// </summary>
/// <typeparam name="TItem">What a caller writes.</typeparam>
/// <typeparam name="TResult">What the statement answers for one item.</typeparam>
/// <param name="flush">Writes a batch in one statement; answers each item, in order.</param>
/// <param name="key">The job an item writes.</param>
/// <param name="maxBatch">The most items one flush writes.</param>
/// <param name="itemSpecific">
/// Whether a failed flush's exception may be about one of its items (the database rejected a value): then each item is
/// written alone, so one bad item fails only its own caller.
/// </param>
internal sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> flush, Func<TItem, Guid> key, int maxBatch, Func<Exception, bool> itemSpecific)
{
    private readonly Lock _gate = new();
    private readonly List<Pending> _pending = [];
    private bool _flushing;

    /// <summary>
    /// Writes <paramref name="item"/> in the next flush and answers what the statement said of it. Cancelling removes an
    /// item that no flush has taken yet; once taken, the write may happen although the caller stopped waiting for it.
    /// A failed flush fails each of its items with its exception.
    /// </summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(item);
        bool lead;
        lock (_gate)
        {
            _pending.Add(pending);
            lead = !_flushing;
            _flushing = true;
        }

        if (lead)
        {
            // The loop outlives its first caller: it carries none of the caller's context (trace, logging scopes).
            if (ExecutionContext.IsFlowSuppressed())
            {
                _ = FlushAllAsync();
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _ = FlushAllAsync();
                }
            }
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return pending.Result.Task;
        }

        return AwaitAsync(pending, cancellationToken);
    }

    private async Task<TResult> AwaitAsync(Pending pending, CancellationToken cancellationToken)
    {
        try
        {
            return await pending.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Withdraw(pending, cancellationToken);
            throw;
        }
    }

    private void Withdraw(Pending pending, CancellationToken token)
    {
        lock (_gate)
        {
            if (_pending.Remove(pending))
            {
                pending.Result.TrySetCanceled(token);
            }
        }
    }

    /// <summary>Flushes batches until none is pending; one such loop runs at a time.</summary>
    private async Task FlushAllAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                batch = TakeBatch();
            }

            try
            {
                var results = await flush([.. batch.Select(pending => pending.Item)]).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.TrySetResult(results[i]);
                }
            }
            catch (Exception exception) when (batch.Count > 1 && itemSpecific(exception))
            {
                foreach (var pending in batch)
                {
                    await FlushAloneAsync(pending).ConfigureAwait(false);
                }
            }
            catch (Exception exception)
            {
                foreach (var pending in batch)
                {
                    pending.Result.TrySetException(exception);
                }
            }
        }
    }

    private async Task FlushAloneAsync(Pending pending)
    {
        try
        {
            pending.Result.TrySetResult((await flush([pending.Item]).ConfigureAwait(false))[0]);
        }
        catch (Exception exception)
        {
            pending.Result.TrySetException(exception);
        }
    }

    /// <summary>Takes the oldest pending items, one per key, up to the batch size; called under the gate.</summary>
    private List<Pending> TakeBatch()
    {
        var batch = new List<Pending>(Math.Min(_pending.Count, maxBatch));
        var keys = new HashSet<Guid>();
        var kept = 0;
        for (var i = 0; i < _pending.Count; i++)
        {
            var pending = _pending[i];
            if (batch.Count < maxBatch && keys.Add(key(pending.Item)))
            {
                batch.Add(pending);
            }
            else
            {
                _pending[kept++] = pending;
            }
        }

        _pending.RemoveRange(kept, _pending.Count - kept);
        return batch;
    }

    /// <summary>One caller's item and the answer it waits for.</summary>
    private sealed class Pending(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
