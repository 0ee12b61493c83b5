using LongJobs.Client.Models;
using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>The generated <c>Start{Kind}JobsAsync</c> against the sample server over HTTP: many jobs in one request.</summary>
public sealed class BatchStartEndToEndTests
{
    [Fact]
    public async Task StartPrimesJobs_InOneRequest_AnswersEachRequestWithItsOperationOrItsProblem_InOrder()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options, log), options);

        var started = await jobs.StartPrimesJobsAsync([new PrimesRequest { Below = 100 }, new PrimesRequest { Below = 1 }, new PrimesRequest { Below = 1000 }]).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(["POST /api/jobs/primes/batch"], log.Requests);
        Assert.Equal([202, 400, 202], started.Select(item => item.Status));
        Assert.Equal([true, false, true], started.Select(item => item.IsStarted));
        Assert.Null(started[1].Operation);
        var problem = started[1].Problem!;
        Assert.Equal(400, problem.Status);
        Assert.True(problem.Extensions.ContainsKey("errors"));
        Assert.Null(started[0].Problem);
        var first = started[0].Operation!;
        Assert.Equal("primes", first.Kind);
        Assert.Equal($"/api/jobs/{first.Id}", first.State?.StatusUrl);
        var results = await Task.WhenAll(first.WaitForCompletionAsync(), started[2].Operation!.WaitForCompletionAsync()).WaitAsync(TestTimeouts.Signal);
        Assert.Equal([25, 168], results.Select(result => result.Count));
    }

    [Fact]
    public async Task StartPrimesJobs_WithOneKeyTwice_AnswersBothWithOneJob()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);

        var started = await jobs.StartPrimesJobsAsync(
            [
                new JobBatchItem<PrimesRequest> { Request = new PrimesRequest { Below = 100 }, IdempotencyKey = "same" },
                new JobBatchItem<PrimesRequest> { Request = new PrimesRequest { Below = 100 }, IdempotencyKey = "same" },
            ]).WaitAsync(TestTimeouts.Signal);

        Assert.Equal(started[0].Operation!.Id, started[1].Operation!.Id);
    }

    [Fact]
    public async Task StartPrimesJobs_WhenTheFirstResponseIsLost_RetriesAndStartsEachJobOnce()
    {
        await using var server = new SampleServerFactory();
        var log = new RequestLog();
        var loss = new FirstResponseLoss();
        var options = new LongJobsClientOptions { RetryDelay = TimeSpan.Zero };
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options, log, loss), options);

        var started = await jobs.StartPrimesJobsAsync([new PrimesRequest { Below = 100 }, new PrimesRequest { Below = 100 }]).WaitAsync(TestTimeouts.Signal);
        var list = await jobs.ListJobsAsync(kind: "primes", pageSize: 10).WaitAsync(TestTimeouts.Signal);

        Assert.NotNull(loss.LostBody);
        Assert.Equal(2, log.Count("POST /api/jobs/primes/batch"));
        Assert.Equal(2, started.Select(item => item.Operation!.Id).Distinct().Count());
        Assert.Equal(started.Select(item => item.Operation!.Id).Order(), list.Items.Select(job => job.Id).Order());
    }

    [Fact]
    public async Task StartPrimesJobs_WithMoreThan1000Requests_ThrowsWith413()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);

        var exception = await Assert.ThrowsAnyAsync<LongJobsRequestException>(() => jobs.StartPrimesJobsAsync(Enumerable.Range(0, 1001).Select(_ => new PrimesRequest { Below = 10 })).WaitAsync(TestTimeouts.Signal));

        Assert.Equal(413, exception.StatusCode);
    }
}
