using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>A logger provider that keeps every entry, for tests that check what was logged.</summary>
public sealed class RecordedLogs : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception), exception));

    public void Dispose()
    {
    }
}

/// <summary>One log entry.</summary>
public sealed record LogEntry(LogLevel Level, int EventId, string Message, Exception? Exception);
