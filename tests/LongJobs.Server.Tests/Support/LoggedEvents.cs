using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>A logger provider that keeps every entry, and lets a test await an entry with a given event ID.</summary>
public sealed class LoggedEvents : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<LogEntry>> _first = new();

    /// <summary>Every entry so far.</summary>
    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Completes with the first entry with event ID <paramref name="eventId"/>.</summary>
    public Task<LogEntry> WaitForAsync(int eventId) => First(eventId).Task.WithSafetyTimeout();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var entry = new LogEntry(eventId.Id, logLevel, formatter(state, exception), exception);
        _entries.Enqueue(entry);
        First(eventId.Id).TrySetResult(entry);
    }

    public void Dispose()
    {
    }

    private TaskCompletionSource<LogEntry> First(int eventId) =>
        _first.GetOrAdd(eventId, static _ => new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>One log entry.</summary>
public sealed record LogEntry(int EventId, LogLevel Level, string Message, Exception? Exception);
