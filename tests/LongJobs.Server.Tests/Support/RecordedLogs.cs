using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>A logger provider that keeps every entry with its scopes' values, for tests that check what was logged or await an entry.</summary>
public sealed class RecordedLogs : ILoggerProvider, ILogger, ISupportExternalScope
{
    private IExternalScopeProvider? _scopes;

    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<LogEntry>> _first = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Completes with the first entry with event ID <paramref name="eventId"/>.</summary>
    public Task<LogEntry> WaitForAsync(int eventId) => First(eventId).Task.WithSafetyTimeout();

    public ILogger CreateLogger(string categoryName) => new CategoryLogger(this, categoryName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Record(string.Empty, logLevel, eventId, state, exception, formatter);

    private void Record<TState>(string category, LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var scopes = new Dictionary<string, object?>(StringComparer.Ordinal);
        _scopes?.ForEachScope(
            static (scope, values) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        values[key] = value;
                    }
                }
            },
            scopes);
        var entry = new LogEntry(logLevel, eventId.Id, formatter(state, exception), exception, scopes) { Category = category };
        _entries.Enqueue(entry);
        First(eventId.Id).TrySetResult(entry);
    }

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private TaskCompletionSource<LogEntry> First(int eventId) =>
        _first.GetOrAdd(eventId, static _ => new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The logger of one category: its entries go to the provider, with the category.</summary>
    private sealed class CategoryLogger(RecordedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Record(category, logLevel, eventId, state, exception, formatter);
    }
}

/// <summary>One log entry, and the values of the scopes it was written in (empty unless the test asked for them).</summary>
public sealed record LogEntry(LogLevel Level, int EventId, string Message, Exception? Exception, IReadOnlyDictionary<string, object?>? Scopes = null)
{
    /// <summary>The category of the logger that wrote it; empty when written to the provider itself.</summary>
    public string Category { get; init; } = string.Empty;
}
