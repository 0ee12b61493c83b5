using LongJobs.Client.Models;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>Jobs started for later and kinds listed, through the generated client against the sample server over HTTP.</summary>
public sealed class DelayedStartEndToEndTests
{
    [Fact]
    public async Task StartWithADelay_AnswersAScheduledJobWithItsTime()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);
        var before = DateTimeOffset.UtcNow;

        var job = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100 }, new JobStartOptions { Delay = TimeSpan.FromMinutes(10) }).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(JobStatus.Scheduled, job.State?.Status);
        Assert.InRange(job.State!.NotBefore!.Value, before.AddMinutes(10).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(10).AddSeconds(1));
        await jobs.CancelJobAsync(job.Id).WaitAsync(TestTimeouts.Signal);
    }

    [Fact]
    public async Task StartAtATime_WithAnOffset_AnswersAScheduledJobForThatInstant()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);
        var at = new DateTimeOffset(DateTimeOffset.UtcNow.Year + 1, 3, 1, 9, 30, 0, TimeSpan.FromHours(-5));

        var job = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100 }, new JobStartOptions { NotBefore = at }).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(JobStatus.Scheduled, job.State?.Status);
        Assert.Equal(at, job.State!.NotBefore);
    }

    [Fact]
    public async Task StartWithATimeAndADelay_ThrowsBeforeSendingAnything()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options, log), options);

        await Assert.ThrowsAsync<ArgumentException>(() => jobs.StartPrimesJobAsync(new PrimesRequest { Below = 100 }, new JobStartOptions { NotBefore = DateTimeOffset.UtcNow.AddHours(1), Delay = TimeSpan.FromHours(1) }));

        Assert.Empty(log.Requests);
    }

    [Fact]
    public async Task ListJobKinds_NamesTheSamplesKinds_AndPausingWithoutAnAdministratorRoleIs403()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);

        var kinds = await jobs.ListJobKindsAsync().WaitAsync(TestTimeouts.Signal);
        var refused = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.PauseJobKindAsync("primes"));

        Assert.Contains(kinds.Items, kind => kind is { Name: "primes", Paused: false });
        Assert.Equal(403, refused.StatusCode);
    }
}
