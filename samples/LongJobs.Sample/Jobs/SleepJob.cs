using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.Jobs;

/// <summary>Starts the regular job: sleep for a number of seconds.</summary>
public sealed record SleepRequest
{
    /// <summary>How long to sleep, in seconds.</summary>
    [Range(1, 3600)]
    public required int Seconds { get; init; }
}

/// <summary>What a sleep job reports when it is done.</summary>
public sealed record SleepResult
{
    /// <summary>How long the job slept, in seconds.</summary>
    [Required]
    public required int SleptSeconds { get; init; }

    /// <summary>When the job woke up.</summary>
    [Required]
    public required DateTimeOffset WokeAt { get; init; }
}

/// <summary>The original article's regular job: sleeps, reporting progress every second.</summary>
public sealed class SleepJob(TimeProvider time) : IJobHandler<SleepRequest, SleepResult>
{
    /// <inheritdoc />
    public async Task<SleepResult> ExecuteAsync(SleepRequest request, JobContext context, CancellationToken cancellationToken)
    {
        await SleepAsync(request.Seconds, context, time, cancellationToken);
        return new SleepResult { SleptSeconds = request.Seconds, WokeAt = time.GetUtcNow() };
    }

    /// <summary>Sleeps <paramref name="seconds"/> seconds, one second at a time, reporting progress after each.</summary>
    internal static async Task SleepAsync(int seconds, JobContext context, TimeProvider time, CancellationToken cancellationToken)
    {
        context.Log(LogLevel.Information, $"Sleeping {seconds} s in attempt {context.Attempt}.");
        for (var second = 1; second <= seconds; second++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            await context.ReportProgressAsync((double)second / seconds, $"Slept {second} of {seconds} s", cancellationToken);
        }
    }
}
