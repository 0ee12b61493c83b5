using System.Threading.Channels;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Notifications;

public sealed class CompletionCallbackTests
{
    private const int CompletionCallbackFailedEventId = 18;

    [Fact]
    public async Task Callbacks_RunForEveryJob_AndForTheirKind_AfterTheOutcomeIsRecorded()
    {
        var everyJob = Channel.CreateUnbounded<(Guid Id, JobStatus Status, JobStatus Stored)>();
        var ofKind = Channel.CreateUnbounded<(Guid Id, int? Doubled)>();
        await using var api = await TestApi.StartAsync(addJobs: jobs => jobs
            .AddJob<GatedJob, GatedRequest, GatedResult>("noted", kind => kind.OnFinished(async (job, cancellationToken) =>
                await ofKind.Writer.WriteAsync((job.Id, job.GetResult<GatedResult>()?.DoubledValue), cancellationToken)))
            .OnJobFinished(async (job, cancellationToken) =>
            {
                var stored = await job.Services.GetRequiredService<IJobStore>().GetAsync(job.Id, cancellationToken);
                await everyJob.Writer.WriteAsync((job.Id, job.Status, stored!.Status), cancellationToken);
            }));

        using var noted = await api.PostAsync("noted", """{"gateKey":"n","value":21}""");
        var notedId = (await TestApi.ReadJsonAsync(noted)).GetProperty("id").GetGuid();
        api.Gates["n"].Release();
        var (seenId, doubled) = await ofKind.Reader.ReadAsync().AsTask().WithSafetyTimeout();
        using var failing = await api.PostAsync("failing", "{}");
        var failingId = (await TestApi.ReadJsonAsync(failing)).GetProperty("id").GetGuid();

        var first = await everyJob.Reader.ReadAsync().AsTask().WithSafetyTimeout();
        var second = await everyJob.Reader.ReadAsync().AsTask().WithSafetyTimeout();
        Assert.Equal((notedId, 42), (seenId, doubled));
        Assert.Equal((notedId, JobStatus.Succeeded, JobStatus.Succeeded), first);
        Assert.Equal((failingId, JobStatus.Failed, JobStatus.Failed), second);
        Assert.False(ofKind.Reader.TryRead(out _), "A kind's callback runs only for jobs of that kind.");
    }

    [Fact]
    public async Task ACallbackThatThrows_IsLogged_AndChangesNeitherTheOutcomeNorTheNextCallbackNorOtherJobs()
    {
        var logs = new RecordedLogs();
        var after = Channel.CreateUnbounded<Guid>();
        await using var api = await TestApi.StartAsync(
            logs: logs,
            addJobs: jobs => jobs
                .OnJobFinished((_, _) => throw new InvalidOperationException("callback broke"))
                .OnJobFinished(async (job, cancellationToken) => await after.Writer.WriteAsync(job.Id, cancellationToken)));

        var first = await api.StartGatedAsync("a");
        api.Gates["a"].Release();
        Assert.Equal(first, await after.Reader.ReadAsync().AsTask().WithSafetyTimeout());
        var failure = await logs.WaitForAsync(CompletionCallbackFailedEventId);

        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Equal("callback broke", failure.Exception?.Message);
        Assert.Contains(first.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(first)).GetProperty("status").GetString());
        var second = await api.StartGatedAsync("b");
        api.Gates["b"].Release();
        Assert.Equal("Succeeded", (await api.WaitUntilFinishedAsync(second)).GetProperty("status").GetString());
        Assert.Equal(second, await after.Reader.ReadAsync().AsTask().WithSafetyTimeout());
    }

    [Fact]
    public async Task Callbacks_RunForACancelledQueuedJob()
    {
        var finished = Channel.CreateUnbounded<(Guid Id, JobStatus Status)>();
        await using var api = await TestApi.StartAsync(
            options => options.MaxConcurrency = 1,
            addJobs: jobs => jobs.OnJobFinished(async (job, cancellationToken) => await finished.Writer.WriteAsync((job.Id, job.Status), cancellationToken)));
        var running = await api.StartGatedAsync("running");
        var queued = await api.StartGatedAsync("queued");

        using var cancel = await api.CancelAsync(queued);

        Assert.Equal((queued, JobStatus.Canceled), await finished.Reader.ReadAsync().AsTask().WithSafetyTimeout());
        api.Gates["running"].Release();
        Assert.Equal((running, JobStatus.Succeeded), await finished.Reader.ReadAsync().AsTask().WithSafetyTimeout());
    }
}
