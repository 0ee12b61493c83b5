using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Client.Tests.Support;

/// <summary>What a gated job returns.</summary>
public sealed record GateResult(Guid JobId, string Message);

/// <summary>
/// An ad-hoc job started on the server with <see cref="IJobScheduler"/> that runs until the test opens its gate
/// (or cancels it), so the test decides when it finishes.
/// </summary>
internal sealed class GatedJob
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LongRunningJob<GateResult> _job = null!;

    /// <summary>The job's ID.</summary>
    public Guid Id => _job.Id;

    /// <summary>Completes when the job has started running.</summary>
    public Task Started => _started.Task.WaitAsync(TestTimeouts.Signal);

    /// <summary>Completes when the job has finished, whatever its outcome.</summary>
    public Task Finished => ((Task)_job.Task).ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(TestTimeouts.Signal);

    /// <summary>Starts a gated job on the server whose services are <paramref name="services"/>.</summary>
    public static async Task<GatedJob> StartAsync(IServiceProvider services)
    {
        var gated = new GatedJob();
        gated._job = await services.GetRequiredService<IJobScheduler>().StartAsync("gate", gated.RunAsync);
        return gated;
    }

    /// <summary>Lets the job finish with its result.</summary>
    public void Open() => _gate.TrySetResult();

    private async Task<GateResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        return new GateResult(context.JobId, "The gate opened.");
    }
}
