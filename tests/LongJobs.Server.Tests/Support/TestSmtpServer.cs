using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MimeKit;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A real SMTP server (the SmtpServer package) listening on 127.0.0.1 at a free port, keeping every message it
/// accepts; it can refuse recipients (550) or answer the next messages with chosen replies, such as a 4xx.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly Channel<MimeMessage> _received = Channel.CreateUnbounded<MimeMessage>();
    private readonly ConcurrentQueue<SmtpResponse> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private SmtpServer.SmtpServer _server = null!;
    private Task _running = Task.CompletedTask;
    private int _recipientChecks;

    private TestSmtpServer()
    {
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Whether every recipient is refused with 550 (mailbox unavailable) at <c>RCPT TO</c>.</summary>
    public bool RefuseRecipients { get; set; }

    /// <summary>How many recipients clients have named (<c>RCPT TO</c>): one per delivery attempt that got that far.</summary>
    public int RecipientChecks => Volatile.Read(ref _recipientChecks);

    public static async Task<TestSmtpServer> StartAsync()
    {
        var smtp = new TestSmtpServer();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, started) => listening.TrySetResult(((IPEndPoint)started.LocalEndPoint).Port);

        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp.test")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, 0)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(smtp));
        services.Add(new RecipientFilter(smtp));
        smtp._server = new SmtpServer.SmtpServer(options, services);
        smtp._running = smtp._server.StartAsync(smtp._stop.Token);
        smtp.Port = await listening.Task.WithSafetyTimeout();
        return smtp;
    }

    /// <summary>A port on 127.0.0.1 where nothing listens: connecting is refused, like an SMTP server that is down.</summary>
    public static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Answers the next messages, one each, with <paramref name="answers"/> instead of accepting them.</summary>
    public void AnswerNextMessagesWith(params SmtpResponse[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }
    }

    /// <summary>The next message accepted, in the order they came.</summary>
    public Task<MimeMessage> NextMessageAsync() => _received.Reader.ReadAsync().AsTask().WithSafetyTimeout();

    /// <summary>Whether a message was accepted that <see cref="NextMessageAsync"/> has not returned yet.</summary>
    public bool HasUnreadMessages => _received.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running.WithSafetyTimeout();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private sealed class Store(TestSmtpServer smtp) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (smtp._answers.TryDequeue(out var answer))
            {
                return answer;
            }

            using var stream = new MemoryStream(buffer.ToArray());
            await smtp._received.Writer.WriteAsync(await MimeMessage.LoadAsync(stream, cancellationToken), cancellationToken);
            return SmtpResponse.Ok;
        }
    }

    private sealed class RecipientFilter(TestSmtpServer smtp) : MailboxFilter
    {
        public override Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref smtp._recipientChecks);
            return Task.FromResult(!smtp.RefuseRecipients);
        }
    }
}
