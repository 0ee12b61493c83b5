using System.Threading.Channels;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Client.Tests.Support;

/// <summary>What a stepped job returns.</summary>
public sealed record StepResult(int Steps);

/// <summary>
/// An ad-hoc job on the server that reports progress one step at a time, each when the test says so, then finishes:
/// the test decides when every change happens.
/// </summary>
internal sealed class SteppedJob
{
    private readonly Channel<bool> _steps = Channel.CreateUnbounded<bool>();
    private readonly int _count;
    private LongRunningJob<StepResult> _job = null!;

    private SteppedJob(int count) => _count = count;

    /// <summary>The job's ID.</summary>
    public Guid Id => _job.Id;

    /// <summary>Starts a job of <paramref name="count"/> steps on the server whose services are <paramref name="services"/>.</summary>
    public static async Task<SteppedJob> StartAsync(IServiceProvider services, int count)
    {
        var stepped = new SteppedJob(count);
        stepped._job = await services.GetRequiredService<IJobScheduler>().StartAsync("stepped", stepped.RunAsync);
        return stepped;
    }

    /// <summary>Lets the job take its next step: report its progress, or, after the last, finish.</summary>
    public void Step() => _steps.Writer.TryWrite(true);

    private async Task<StepResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        for (var step = 1; step <= _count; step++)
        {
            await _steps.Reader.ReadAsync(cancellationToken);
            await context.ReportProgressAsync((double)step / _count, $"Step {step} of {_count}", cancellationToken);
        }

        await _steps.Reader.ReadAsync(cancellationToken);
        return new StepResult(_count);
    }
}
