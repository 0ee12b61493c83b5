using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Support;

/// <summary>
/// A TCP proxy in front of the test server that fails connections the way a loaded machine or a network does: it
/// can leave new connections unanswered (the client's connection attempt times out), or let one statement reach the
/// server and lose its answer (the statement ran, the client cannot know), or cut its clients off the server for a
/// while (every connection breaks, new ones are refused), as a network partition or a database outage seen from one node.
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly ConcurrentDictionary<TcpClient, byte> _relayed = new();
    private volatile bool _cutOff;
    private readonly Task _accepting;
    private int _connections;
    private int _toHold;
    private string? _loseAnswerTo;
    private bool _holdAfterLoss;
    private readonly TaskCompletionSource _answerLost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts a proxy to the server of <paramref name="connectionString"/>.</summary>
    public FaultyProxy(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        _upstreamHost = target.Host!;
        _upstreamPort = target.Port;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>How many connections clients opened through the proxy.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Completes when the answer to the statement named in <see cref="LoseAnswerTo"/> was lost.</summary>
    public Task AnswerLost => _answerLost.Task;

    /// <summary><paramref name="connectionString"/> through the proxy.</summary>
    public string Through(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.ConnectionString;

    /// <summary>The next <paramref name="count"/> connections are accepted and never answered.</summary>
    public void HoldNextConnections(int count) => Interlocked.Exchange(ref _toHold, count);

    /// <summary>
    /// The next statement whose text contains <paramref name="marker"/> reaches the server, which runs it; its answer
    /// is lost and the connection closed, as when a network fails after the server committed.
    /// </summary>
    public void LoseAnswerTo(string marker) => LoseAnswerTo(marker, thenHold: false);

    /// <summary>
    /// As <see cref="LoseAnswerTo(string)"/>; with <paramref name="thenHold"/>, every connection opened after the
    /// statement was sent is held (never answered) until <see cref="HoldNextConnections"/> says otherwise: the network
    /// failed for good after the server committed.
    /// </summary>
    public void LoseAnswerTo(string marker, bool thenHold)
    {
        Volatile.Write(ref _holdAfterLoss, thenHold);
        Volatile.Write(ref _loseAnswerTo, marker);
    }

    /// <summary>Breaks every connection through the proxy and refuses new ones (closes them at once) until <see cref="Reconnect"/>.</summary>
    public void CutOff()
    {
        _cutOff = true;
        foreach (var client in _relayed.Keys)
        {
            client.Dispose();
        }
    }

    /// <summary>Relays new connections again after <see cref="CutOff"/>.</summary>
    public void Reconnect() => _cutOff = false;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            _clients.Add(client);
            Interlocked.Increment(ref _connections);
            if (_cutOff)
            {
                client.Dispose();
                continue;
            }

            if (TakeHold())
            {
                continue; // accepted, never answered
            }

            _ = RelayAsync(client);
        }
    }

    /// <summary>
    /// Counts one connection off <see cref="HoldNextConnections"/>, if any is left to hold: never below zero, so a count
    /// set while another connection is accepted is not reset by it.
    /// </summary>
    private bool TakeHold()
    {
        var left = Volatile.Read(ref _toHold);
        while (left > 0)
        {
            var seen = Interlocked.CompareExchange(ref _toHold, left - 1, left);
            if (seen == left)
            {
                return true;
            }

            left = seen;
        }

        return false;
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        _clients.Add(server);
        _relayed.TryAdd(client, 0);
        try
        {
            if (_cutOff)
            {
                return; // cut off while this connection was being accepted
            }

            await server.ConnectAsync(_upstreamHost, _upstreamPort, _stopping.Token);
            var relay = new Relay();
            await Task.WhenAny(
                PumpAsync(client.GetStream(), server.GetStream(), fromClient: true, relay),
                PumpAsync(server.GetStream(), client.GetStream(), fromClient: false, relay));
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _relayed.TryRemove(client, out _);
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool fromClient, Relay relay)
    {
        var buffer = new byte[64 * 1024];
        var recent = string.Empty; // the end of the previous chunk, so a marker split across chunks is found
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stopping.Token);
            if (read == 0)
            {
                return;
            }

            if (fromClient && Volatile.Read(ref _loseAnswerTo) is { } marker)
            {
                var text = recent + Encoding.UTF8.GetString(buffer, 0, read);
                if (text.Contains(marker, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _loseAnswerTo, null, marker) == marker)
                {
                    relay.DropAnswers = true;
                    if (Volatile.Read(ref _holdAfterLoss))
                    {
                        Interlocked.Exchange(ref _toHold, int.MaxValue);
                    }
                }

                recent = text[Math.Max(0, text.Length - 256)..];
            }
            else if (!fromClient && relay.DropAnswers)
            {
                _answerLost.TrySetResult();
                return; // the answer is dropped and both connections close
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
        }
    }

    /// <summary>One relayed connection: whether the server's answers are to be lost.</summary>
    private sealed class Relay
    {
        public volatile bool DropAnswers;
    }
}
