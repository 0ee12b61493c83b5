using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;

namespace LongJobs.Server.Tests.Support;

/// <summary>Starts a <see cref="GatedJob"/>: it waits at the gate named <see cref="GateKey"/>.</summary>
public sealed record GatedRequest
{
    [Required]
    [StringLength(40, MinimumLength = 1)]
    public required string GateKey { get; init; }

    [Range(0, 1000)]
    public int Value { get; init; }
}

/// <summary>What a <see cref="GatedJob"/> returns.</summary>
public sealed record GatedResult
{
    public required string GateKey { get; init; }

    public required int DoubledValue { get; init; }

    public required Guid JobId { get; init; }
}

/// <summary>A registered kind the test controls: reports half progress, waits at its gate (honouring cancellation), returns twice the value.</summary>
public sealed class GatedJob(JobGates gates) : IJobHandler<GatedRequest, GatedResult>
{
    public const string ProgressMessage = "waiting at the gate";

    public async Task<GatedResult> ExecuteAsync(GatedRequest request, JobContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0.5, ProgressMessage, cancellationToken);
        await gates[request.GateKey].PassAsync(cancellationToken);
        return new GatedResult { GateKey = request.GateKey, DoubledValue = request.Value * 2, JobId = context.JobId };
    }
}

/// <summary>Starts a <see cref="FailingJob"/>.</summary>
public sealed record FailingRequest
{
    [Range(0, 10)]
    public int Code { get; init; }
}

/// <summary>A registered kind that always fails with a message that must never reach callers outside Development.</summary>
public sealed class FailingJob : IJobHandler<FailingRequest, GatedResult>
{
    public const string SecretMessage = "secret-failure-detail-7f3a";

    public Task<GatedResult> ExecuteAsync(FailingRequest request, JobContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException(SecretMessage);
}

/// <summary>Starts a <see cref="ProbeJob"/>.</summary>
public sealed record ProbeRequest
{
    [Range(1, 10)]
    public int Number { get; init; } = 1;
}

/// <summary>A scoped dependency that records whether its scope has ended.</summary>
public sealed class ScopedProbe : IDisposable
{
    public Guid Id { get; } = Guid.NewGuid();

    public bool IsDisposed { get; private set; }

    public void Dispose() => IsDisposed = true;
}

/// <summary>Every <see cref="ScopedProbe"/> a <see cref="ProbeJob"/> saw, by the ID it returned.</summary>
public sealed class ProbeLog
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, ScopedProbe> _probes = new();

    public ScopedProbe this[Guid id] => _probes[id];

    public void Add(ScopedProbe probe) => _probes[probe.Id] = probe;
}

/// <summary>What a <see cref="ProbeJob"/> returns: the ID of the scoped dependency it saw.</summary>
public sealed record ProbeResult(Guid ProbeId);

/// <summary>A registered kind whose handler takes a scoped dependency and returns that dependency's ID.</summary>
public sealed class ProbeJob(ScopedProbe probe, ProbeLog log) : IJobHandler<ProbeRequest, ProbeResult>
{
    public Task<ProbeResult> ExecuteAsync(ProbeRequest request, JobContext context, CancellationToken cancellationToken)
    {
        Assert.False(probe.IsDisposed);
        log.Add(probe);
        return Task.FromResult(new ProbeResult(probe.Id));
    }
}
