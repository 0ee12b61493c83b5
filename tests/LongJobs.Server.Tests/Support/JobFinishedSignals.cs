using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// A logger provider that tells when the scheduler has recorded a job's end (its "finished" log entry, written
/// after the outcome went to the store), for work the test cannot otherwise observe, such as abandoned work.
/// </summary>
public sealed class JobFinishedSignals : ILoggerProvider, ILogger
{
    private const int JobFinishedEventId = 3;

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _finished = new();

    /// <summary>Completes once the scheduler has logged that job <paramref name="jobId"/> finished.</summary>
    public Task Finished(Guid jobId) => Signal(jobId).Task.WithSafetyTimeout();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == JobFinishedEventId
            && state is IEnumerable<KeyValuePair<string, object?>> values
            && values.FirstOrDefault(value => value.Key == "JobId").Value is Guid jobId)
        {
            Signal(jobId).TrySetResult();
        }
    }

    public void Dispose()
    {
    }

    private TaskCompletionSource Signal(Guid jobId) =>
        _finished.GetOrAdd(jobId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
