using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.Jobs;

/// <summary>Starts the failing job: sleep for a number of seconds, then throw.</summary>
public sealed record FailRequest
{
    /// <summary>How long to sleep before failing, in seconds.</summary>
    [Range(0, 3600)]
    public required int Seconds { get; init; }
}

/// <summary>The original article's failing job: sleeps like <see cref="SleepJob"/>, then throws.</summary>
public sealed class FailJob(TimeProvider time) : IJobHandler<FailRequest, SleepResult>
{
    /// <inheritdoc />
    public async Task<SleepResult> ExecuteAsync(FailRequest request, JobContext context, CancellationToken cancellationToken)
    {
        await SleepJob.SleepAsync(request.Seconds, context, time, cancellationToken);
        context.Log(LogLevel.Error, "Failing on purpose.");
        throw new InvalidOperationException($"The job failed on purpose after {request.Seconds} s.");
    }
}
