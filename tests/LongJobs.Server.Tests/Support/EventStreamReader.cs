using System.Text;
using System.Text.Json;

namespace LongJobs.Server.Tests.Support;

/// <summary>One server-sent event: its ID, its name, and its data parsed as JSON.</summary>
internal sealed record ServerSentEvent(string? Id, string Name, JsonElement Data);

/// <summary>Reads a <c>text/event-stream</c> response event by event, as a browser's EventSource would.</summary>
internal sealed class EventStreamReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>How many comment lines (heartbeats) were read so far.</summary>
    public int Comments { get; private set; }

    /// <summary>The <c>retry</c> field, once read.</summary>
    public int? Retry { get; private set; }

    /// <summary>Reads the next event; <see langword="null"/> when the stream ended. Comments count in <see cref="Comments"/>.</summary>
    public async Task<ServerSentEvent?> ReadAsync()
    {
        string? id = null, name = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync().WithSafetyTimeout() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    using var json = JsonDocument.Parse(data.ToString());
                    return new ServerSentEvent(id, name ?? "message", json.RootElement.Clone());
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                Comments++;
                continue;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": name = value; break;
                case "data": data.Append(value); break;
                case "retry": Retry = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }

        return null;
    }

    /// <summary>Reads until a comment line arrives.</summary>
    public async Task ReadCommentAsync()
    {
        var seen = Comments;
        while (Comments == seen)
        {
            var line = await _reader.ReadLineAsync().WithSafetyTimeout();
            Assert.NotNull(line);
            if (line.StartsWith(':'))
            {
                Comments++;
            }
            else
            {
                Assert.True(line.Length == 0 || line.StartsWith("retry:", StringComparison.Ordinal), $"Expected a comment, read '{line}'.");
            }
        }
    }

    public void Dispose() => _reader.Dispose();
}
