using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Supervision;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Changes;

/// <summary>
/// Holds one connection of the store's pool that LISTENs on the store's channel and wakes the local waiters of a
/// job when any node changes it. Its loop is supervised: whatever fails, it logs it once and listens again after a
/// backoff; after a reconnect it wakes every waiter, since notifications sent meanwhile are lost, and waiters re-read
/// the jobs they watch. A connection that cannot be opened tells the store's <see cref="DatabaseAvailability"/> (which
/// logs the outage once); one that breaks while listening does not, as long as the next one opens.
/// </summary>
internal sealed class JobChangeListener(NpgsqlDataSource dataSource, string channel, TimeProvider time, DatabaseAvailability availability, ILogger logger) : IAsyncDisposable
{
    /// <summary>
    /// How long the listening connection may stay silent before it checks that the server is still there: a peer
    /// that vanished without closing the connection is noticed (a keepalive that works on any pool, the application's too).
    /// </summary>
    internal static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>How soon the listener tries again after a failure; the delay doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two attempts to listen again.</summary>
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly SupervisedLoop _loop = new($"Listening for job changes on channel {channel}", logger, time, FirstReconnectDelay, MaxReconnectDelay);

    /// <summary>The payload that announces a job any node may claim; since migration 007 followed by the job's ID.</summary>
    private const string QueuedPayload = "queued";

    /// <summary>The payload prefix that announces a cancel request for a running job.</summary>
    private const string CancelPrefix = "cancel:";

    /// <summary>The payload that announces jobs started for later (since migration 013).</summary>
    private const string ScheduledPayload = "scheduled";

    private readonly System.Threading.Channels.Channel<Guid> _cancellations = System.Threading.Channels.Channel.CreateUnbounded<Guid>(new() { SingleReader = true });

    private readonly Dictionary<Guid, Waiter> _waiters = [];
    private readonly KnownStates _known = new();
    private readonly JobChangeWatchers _watchers = new();
    private TaskCompletionSource _queued = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _scheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _listening;
    private int _disposed;

    /// <summary>
    /// Watches job <paramref name="id"/>: <see cref="Watch.Changed"/> completes at its next change seen after this
    /// call. Call it before reading the job, so a change between the read and the wait is not missed; dispose it
    /// when done waiting, so the store forgets jobs nobody waits for.
    /// </summary>
    public Watch NextChange(Guid id)
    {
        EnsureListening();
        lock (_waiters)
        {
            if (!_waiters.TryGetValue(id, out var waiter))
            {
                waiter = new Waiter();
                _waiters[id] = waiter;
            }

            waiter.Count++;
            return new Watch(this, id, waiter);
        }
    }

    /// <summary>The IDs of running jobs someone asked to cancel, as announced; read by one reader.</summary>
    public System.Threading.Channels.ChannelReader<Guid> CancellationRequests
    {
        get
        {
            EnsureListening();
            return _cancellations.Reader;
        }
    }

    /// <summary>
    /// The states of jobs this node inserted or read, and that no notification has named since: a waiter need not read
    /// them first. Asking for them starts the listener, without which none is tracked.
    /// </summary>
    public KnownStates KnownStates
    {
        get
        {
            EnsureListening();
            return _known;
        }
    }

    /// <summary>
    /// Calls <paramref name="onChanged"/> with the ID of every job announced from now on, and with
    /// <see cref="Guid.Empty"/> when announcements may have been lost (the listener connects or reconnects), until disposed;
    /// the first watcher of a store hears its listener's first connection so.
    /// </summary>
    public IDisposable WatchAll(Action<Guid> onChanged)
    {
        // Added before the listener may start, so a first watcher hears the first connection's announcement.
        var watch = _watchers.Add(onChanged);
        EnsureListening();
        return watch;
    }

    /// <summary>Completes when a job any node may claim is queued after this call, or when the listener reconnects.</summary>
    public Task NextQueued()
    {
        EnsureListening();
        return Volatile.Read(ref _queued).Task;
    }

    /// <summary>Completes when a job is scheduled for later after this call, or when the listener reconnects.</summary>
    public Task NextScheduled()
    {
        EnsureListening();
        return Volatile.Read(ref _scheduled).Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_listening is not null)
        {
            await _listening.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private void EnsureListening()
    {
        if (_listening is not null)
        {
            return;
        }

        lock (_gate)
        {
            _listening ??= Task.Run(ListenAsync);
        }
    }

    /// <summary>The listener's supervision, which tests read.</summary>
    internal SupervisedLoop Loop => _loop;

    private async Task ListenAsync()
    {
        try
        {
            await _loop.RunAsync(ListenOnceAsync, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The store is being disposed.
        }
    }

    /// <summary>
    /// One listening session on a connection of the pool: LISTEN on the channel, wake every waiter (changes made while
    /// not listening were not announced), then hand notifications to <see cref="OnNotification"/> until something
    /// fails; the supervising loop then starts the next session after its backoff.
    /// </summary>
    private async ValueTask ListenOnceAsync(CancellationToken cancellationToken)
    {
        var began = time.GetTimestamp();
        NpgsqlConnection connection;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DatabaseFailures.IsUnavailable(exception))
        {
            availability.Failed(exception);
            throw;
        }

        try
        {
            connection.Notification += OnNotification;
            await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", connection))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            availability.Succeeded(began);
            _loop.Succeeded();
            _known.Listening();
            WakeAll();
            await WaitForNotificationsAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _known.StoppedListening();
            WakeAll();
            await ReleaseAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for notifications until the connection fails or the listener stops; a silent connection is checked now and then.</summary>
    private static async Task WaitForNotificationsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await connection.WaitAsync(KeepAliveInterval, cancellationToken).ConfigureAwait(false))
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Gives a listening connection back to the pool, no longer listening (a broken one is dropped by the pool).</summary>
    private async ValueTask ReleaseAsync(NpgsqlConnection connection)
    {
        connection.Notification -= OnNotification;
        try
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
                await unlisten.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // The connection broke: the pool does not keep it, and its session, the LISTEN with it, has ended.
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Handles one notification: a statement's changed jobs (their IDs joined by commas), its claimable jobs inserted
    /// (<c>queued:</c> and IDs), a job queued again (<c>queued</c>), jobs started for later (<c>scheduled</c>), or its
    /// running jobs asked to cancel (<c>cancel:</c> and IDs). A notification of an earlier schema version names one job the same way.
    /// </summary>
    private void OnNotification(object sender, NpgsqlNotificationEventArgs notification)
    {
        var payload = notification.Payload.AsSpan();
        if (payload.StartsWith(QueuedPayload, StringComparison.Ordinal))
        {
            WakeQueueWaiters();
            foreach (var queued in Ids(payload[QueuedPayload.Length..].TrimStart(':')))
            {
                _watchers.Announce(queued);
            }
        }
        else if (payload.SequenceEqual(ScheduledPayload))
        {
            WakeScheduleWaiters();
        }
        else if (payload.StartsWith(CancelPrefix, StringComparison.Ordinal))
        {
            foreach (var cancelled in Ids(payload[CancelPrefix.Length..]))
            {
                _cancellations.Writer.TryWrite(cancelled);
            }
        }
        else
        {
            foreach (var id in Ids(payload))
            {
                // Untracked before the wake: a waiter that still found it tracked has its watch woken now.
                _known.Forget(id);
                Wake(id);
                _watchers.Announce(id);
            }
        }
    }

    /// <summary>The job IDs of a comma-separated list; anything that is not an ID is skipped.</summary>
    private static List<Guid> Ids(ReadOnlySpan<char> list)
    {
        var ids = new List<Guid>();
        foreach (var range in list.Split(','))
        {
            if (Guid.TryParse(list[range], out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Completes the current waiters of job <paramref name="id"/>; later watchers wait for the change after.</summary>
    private void Wake(Guid id)
    {
        lock (_waiters)
        {
            if (_waiters.Remove(id, out var waiter))
            {
                waiter.Changed.TrySetResult();
            }
        }
    }

    private void WakeQueueWaiters() =>
        Interlocked.Exchange(ref _queued, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void WakeScheduleWaiters() =>
        Interlocked.Exchange(ref _scheduled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void WakeAll()
    {
        try
        {
            _watchers.Announce(Guid.Empty);
        }
        catch (Exception exception)
        {
            // A watcher's own failure: the listener goes on, and says so once.
            _loop.Failed(exception);
        }

        WakeQueueWaiters();
        WakeScheduleWaiters();
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Values)
            {
                waiter.Changed.TrySetResult();
            }

            _waiters.Clear();
        }
    }

    private void Unwatch(Guid id, Waiter waiter)
    {
        lock (_waiters)
        {
            if (--waiter.Count == 0 && _waiters.TryGetValue(id, out var current) && ReferenceEquals(current, waiter))
            {
                _waiters.Remove(id);
            }
        }
    }

    /// <summary>One waited-for change of one job, shared by everyone watching the job meanwhile.</summary>
    internal sealed class Waiter
    {
        public TaskCompletionSource Changed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }

    /// <summary>A caller's watch on one job; disposing it ends the watch.</summary>
    internal readonly struct Watch(JobChangeListener listener, Guid id, Waiter waiter) : IDisposable
    {
        /// <summary>Completes at the job's next change, or when the listener reconnects.</summary>
        public Task Changed => waiter.Changed.Task;

        public void Dispose() => listener.Unwatch(id, waiter);
    }
}
