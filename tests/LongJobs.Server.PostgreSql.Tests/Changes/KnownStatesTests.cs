using System.Threading.Channels;
using LongJobs.Server.PostgreSql.Changes;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Changes;

/// <summary>
/// The states a node knows without reading (a job it inserted or read): known until a notification names the
/// job, so a waiter reads only when something changed. A notification that comes while the read is in flight is not
/// lost: the state read is then not known.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class KnownStatesTests(PostgreSqlServer server) : IAsyncLifetime, IAsyncDisposable
{
    private readonly string _channel = "t_" + Guid.NewGuid().ToString("N") + "_job_changes";
    private readonly Channel<Guid> _announced = Channel.CreateUnbounded<Guid>();
    private NpgsqlDataSource _dataSource = null!;
    private JobChangeListener _listener = null!;
    private IDisposable _watch = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        _listener = new JobChangeListener(_dataSource, _channel, TimeProvider.System, new DatabaseAvailability(NullLogger.Instance, TimeProvider.System), NullLogger.Instance);
        _watch = _listener.WatchAll(id => _announced.Writer.TryWrite(id));
        await AnnouncedAsync(Guid.Empty); // listening
    }

    public Task DisposeAsync() => ((IAsyncDisposable)this).DisposeAsync().AsTask();

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        _watch.Dispose();
        await _listener.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task AStateRead_IsKnownUntilANotificationNamesItsJob()
    {
        Guid read = Guid.NewGuid(), other = Guid.NewGuid();
        _listener.KnownStates.Expect(read);
        _listener.KnownStates.Known(read, 3);

        Assert.Equal((true, false, false), (_listener.KnownStates.IsUnchangedSince(read, 3), _listener.KnownStates.IsUnchangedSince(read, 2), _listener.KnownStates.IsUnchangedSince(other, 1)));

        await NotifyAsync(read);
        Assert.False(_listener.KnownStates.IsUnchangedSince(read, 3));
    }

    [Fact]
    public async Task AStateRead_WhileANotificationNamedItsJob_IsNotKnown()
    {
        var id = Guid.NewGuid();
        _listener.KnownStates.Expect(id);

        await NotifyAsync(id); // the job changed while it was being read: what the read returns may be the older state
        _listener.KnownStates.Known(id, 3);

        Assert.False(_listener.KnownStates.IsUnchangedSince(id, 3));
    }

    [Fact]
    public void AStateRead_ThatFailedOrWasForgotten_IsNotKnown()
    {
        var id = Guid.NewGuid();
        _listener.KnownStates.Expect(id);
        _listener.KnownStates.Forget(id);
        _listener.KnownStates.Known(id, 3);

        Assert.False(_listener.KnownStates.IsUnchangedSince(id, 3));
    }

    /// <summary>Sends a change notification naming <paramref name="id"/>, as a statement's trigger does, and waits until the listener has handled it.</summary>
    private async Task NotifyAsync(Guid id)
    {
        await using (var notify = _dataSource.CreateCommand("SELECT pg_notify(@channel, @id)"))
        {
            notify.Parameters.AddWithValue("channel", _channel);
            notify.Parameters.AddWithValue("id", id.ToString());
            await notify.ExecuteNonQueryAsync();
        }

        await AnnouncedAsync(id);
    }

    private async Task AnnouncedAsync(Guid id)
    {
        using var timeout = new CancellationTokenSource(SafetyTimeout.Value);
        while (await _announced.Reader.ReadAsync(timeout.Token) != id)
        {
        }
    }
}
