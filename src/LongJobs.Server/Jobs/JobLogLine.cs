using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Jobs;

/// <summary>One line a running job wrote to its log (<see cref="JobContext.Log"/>).</summary>
/// <param name="Time">When the job wrote it.</param>
/// <param name="Level">Its level.</param>
/// <param name="Attempt">The attempt that wrote it, from 1.</param>
/// <param name="Message">The text, at most <see cref="JobContext.MaxLogMessageLength"/> characters.</param>
public sealed record JobLogLine(DateTimeOffset Time, LogLevel Level, int Attempt, string Message);
