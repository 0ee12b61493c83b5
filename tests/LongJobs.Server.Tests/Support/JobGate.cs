using System.Collections.Concurrent;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// Lets a test control a job's progress: the job signals <see cref="Started"/> when it reaches the gate and
/// waits there until the test calls <see cref="Release"/>.
/// </summary>
public sealed class JobGate
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the job has reached the gate.</summary>
    public Task Started => _started.Task.WithSafetyTimeout();

    /// <summary>Whether the job has reached the gate.</summary>
    public bool HasStarted => _started.Task.IsCompleted;

    /// <summary>Lets the job go on.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Called by the job: waits at the gate, honouring cancellation like a well-behaved job.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Called by the job: waits at the gate and ignores cancellation, like a badly-behaved job.</summary>
    public async Task PassIgnoringCancellationAsync()
    {
        _started.TrySetResult();
        await _released.Task;
    }
}

/// <summary>Gates by name, shared through dependency injection with registered job kinds.</summary>
public sealed class JobGates
{
    private readonly ConcurrentDictionary<string, JobGate> _gates = new(StringComparer.Ordinal);

    public JobGate this[string key] => _gates.GetOrAdd(key, static _ => new JobGate());

    /// <summary>Releases every gate, so no job is left waiting when a test ends.</summary>
    public void ReleaseAll()
    {
        foreach (var gate in _gates.Values)
        {
            gate.Release();
        }
    }
}
