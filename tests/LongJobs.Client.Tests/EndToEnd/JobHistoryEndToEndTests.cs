using LongJobs.Client.Models;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>A job's attempts and log lines, through the generated client against the sample server over HTTP.</summary>
public sealed class JobHistoryEndToEndTests
{
    [Fact]
    public async Task GetJobHistory_OfAFinishedJob_HasItsAttemptAndItsLogLines()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);
        var job = await jobs.StartPrimesJobAsync(new PrimesRequest { Below = 1_000 }).WaitAsync(TestTimeouts.Signal);
        await job.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal);

        var history = await jobs.GetJobHistoryAsync(job.Id).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(job.Id, history.Id);
        var attempt = Assert.Single(history.Attempts);
        Assert.Equal((1, JobAttemptOutcome.Succeeded), (attempt.Number, attempt.Outcome));
        Assert.NotNull(attempt.EndedAt);
        Assert.False(string.IsNullOrEmpty(attempt.Node));
        Assert.Equal(
            [(JobLogLevel.Information, "Sieving the primes below 1,000 in segments of 1,048,576."), (JobLogLevel.Information, "Found 168 primes; the largest is 997.")],
            history.Log.Select(line => (line.Level, line.Message)));
        Assert.All(history.Log, line => Assert.Equal(1, line.Attempt));
        Assert.Equal(0, history.RemovedLogLines);
    }

    [Fact]
    public async Task GetJobHistory_OfAFailedJob_HasTheAttemptsProblem_AndOfAnUnknownJobIs404()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);
        var job = await jobs.StartFailJobAsync(new FailRequest { Seconds = 0 }).WaitAsync(TestTimeouts.Signal);
        await Assert.ThrowsAsync<JobFailedException>(() => job.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));

        var history = await jobs.GetJobHistoryAsync(job.Id).WaitAsync(TestTimeouts.Signal);
        var unknown = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.GetJobHistoryAsync(Guid.NewGuid()));

        var attempt = Assert.Single(history.Attempts);
        Assert.Equal(JobAttemptOutcome.Failed, attempt.Outcome);
        Assert.Equal("The job failed.", attempt.Error?.Title);
        Assert.Equal((JobLogLevel.Error, "Failing on purpose."), (history.Log[^1].Level, history.Log[^1].Message));
        Assert.Equal(404, unknown.StatusCode);
    }
}
