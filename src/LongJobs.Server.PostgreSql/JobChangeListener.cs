using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql;

/// <summary>
/// Holds one connection that LISTENs on the store's channel and wakes the local waiters of a job when any
/// node changes it. It reconnects by itself; after a reconnect it wakes every waiter, since notifications sent
/// meanwhile are lost, and waiters re-read the jobs they watch.
/// </summary>
internal sealed partial class JobChangeListener(NpgsqlDataSource dataSource, SqlScripts scripts, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _listening;
    private int _disposed;

    /// <summary>
    /// A task that completes at the next change of job <paramref name="id"/> seen after this call. Call it
    /// before reading the job, so a change between the read and the wait is not missed.
    /// </summary>
    public Task NextChange(Guid id)
    {
        EnsureListening();
        return _waiters.GetOrAdd(id, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
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

    private async Task ListenAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                connection.Notification += (_, notification) =>
                {
                    if (Guid.TryParse(notification.Payload, out var id))
                    {
                        Wake(id);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {scripts.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                // Changes made while not listening were not announced: let every waiter look again.
                WakeAll();
                while (true)
                {
                    await connection.WaitAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                ListeningFailed(logger, exception, scripts.Channel, ReconnectDelay);
                WakeAll();
                try
                {
                    await Task.Delay(ReconnectDelay, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Wake(Guid id)
    {
        if (_waiters.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    private void WakeAll()
    {
        foreach (var id in _waiters.Keys)
        {
            Wake(id);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Listening for job changes on channel {Channel} failed; reconnecting in {Delay}.")]
    private static partial void ListeningFailed(ILogger logger, Exception exception, string channel, TimeSpan delay);
}
