using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Kinds;

/// <summary>Jobs of kinds registered with <c>AddJob</c>, started with <see cref="IJobScheduler.StartKindAsync"/>.</summary>
public sealed class RegisteredKindTests
{
    [Fact]
    public async Task StartKind_RunsTheHandlerAndReturnsATypedJob()
    {
        await using var services = TestServices.Create();
        services.Gates["open"].Release();

        var job = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "open", Value = 21 });

        var typed = Assert.IsType<LongRunningJob<GatedResult>>(job);
        var result = await typed.Task.WithSafetyTimeout();
        Assert.Equal(42, result.DoubledValue);
        Assert.Equal(job.Id, result.JobId);
        Assert.Equal("gated", job.Kind);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal("open", record.Request!.Value.GetProperty("gateKey").GetString());
        Assert.Equal(21, record.Request.Value.GetProperty("value").GetInt32());
        Assert.Equal(42, record.Result!.Value.GetProperty("doubledValue").GetInt32());
    }

    [Fact]
    public async Task StartKind_ResolvesTheHandlerInAScopeOfItsOwnPerJob_AndDisposesIt()
    {
        await using var services = TestServices.Create();

        var first = (LongRunningJob<ProbeResult>)await services.Scheduler.StartKindAsync("probe", new ProbeRequest());
        var second = (LongRunningJob<ProbeResult>)await services.Scheduler.StartKindAsync("probe", new ProbeRequest());
        var firstProbe = (await first.Task.WithSafetyTimeout()).ProbeId;
        var secondProbe = (await second.Task.WithSafetyTimeout()).ProbeId;

        Assert.NotEqual(firstProbe, secondProbe);
        var log = services.Provider.GetRequiredService<ProbeLog>();
        Assert.True(log[firstProbe].IsDisposed);
        Assert.True(log[secondProbe].IsDisposed);
    }

    [Fact]
    public async Task StartKind_WithInvalidRequest_ThrowsValidationExceptionAndStartsNothing()
    {
        await using var services = TestServices.Create();

        var exception = await Assert.ThrowsAsync<ValidationException>(() => services.Scheduler.StartKindAsync("probe", new ProbeRequest { Number = 0 }));

        Assert.Contains("number", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task StartKind_WithTheWrongRequestType_ThrowsArgumentException()
    {
        await using var services = TestServices.Create();

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => services.Scheduler.StartKindAsync("gated", new ProbeRequest()));

        Assert.Equal("request", exception.ParamName);
        Assert.Equal(0, services.Store.Count);
    }

    [Fact]
    public async Task StartKind_UnknownKind_ThrowsKeyNotFoundException()
    {
        await using var services = TestServices.Create();

        var exception = await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Scheduler.StartKindAsync("nope", new ProbeRequest()));

        Assert.Contains("nope", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartKind_WhenTheHandlerThrows_FailsTheJobWithItsException()
    {
        await using var services = TestServices.Create();

        var job = await services.Scheduler.StartKindAsync("failing", new FailingRequest());

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal(FailingJob.SecretMessage, exception.Message);
        var record = await services.GetRecordAsync(job.Id);
        Assert.Equal(JobStatus.Failed, record.Status);
        Assert.DoesNotContain(FailingJob.SecretMessage, record.Error!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartKind_WhenCanceledWhileRunning_EndsCanceled()
    {
        await using var services = TestServices.Create();
        var job = await services.Scheduler.StartKindAsync("gated", new GatedRequest { GateKey = "never" });
        await services.Gates["never"].Started;

        await services.Scheduler.CancelAsync(job.Id);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.Task.WithSafetyTimeout());
        Assert.Equal(JobStatus.Canceled, (await services.GetRecordAsync(job.Id)).Status);
    }
}
