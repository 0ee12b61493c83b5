using System.Collections.Concurrent;
using System.Diagnostics;
using LongJobs.Server.Jobs;

namespace LongJobs.Benchmarks.Latency;

/// <summary>Pauses for the asked time, then stamps the moment its work returns (<see cref="WorkReturned"/>), for latency runs.</summary>
internal sealed class PauseJob : IJobHandler<PauseRequest, PauseResult>
{
    /// <summary>The <see cref="Stopwatch"/> timestamp at which each job's work returned, by job ID (every node of this process).</summary>
    public static ConcurrentDictionary<Guid, long> WorkReturned { get; } = new();

    public async Task<PauseResult> ExecuteAsync(PauseRequest request, JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(request.Milliseconds, cancellationToken);
        WorkReturned[context.JobId] = Stopwatch.GetTimestamp();
        return new PauseResult(request.Milliseconds);
    }
}

internal sealed record PauseRequest(int Milliseconds);

internal sealed record PauseResult(int Milliseconds);
