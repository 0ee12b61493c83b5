using LongJobs.Client.Tests.Sample;
using LongJobs.Client.Tests.Support;

namespace LongJobs.Client.Tests.EndToEnd;

/// <summary>The sample's "report" kind, unique by customer, through the generated client over HTTP.</summary>
public sealed class UniqueJobsEndToEndTests
{
    [Fact]
    public async Task StartingACustomersReportWhileOneIsUnfinished_ReturnsThatReport_SaysSo_AndOnceItEndsStartsANewOne()
    {
        await using var server = new SampleServerFactory();
        var options = new LongJobsClientOptions();
        var jobs = new SampleJobsClient(server.CreateLongJobsHttpClient(options), options);

        var first = await jobs.StartReportJobAsync(new ReportRequest { CustomerId = "c-1", Seconds = 3600 }).WaitAsync(TestTimeouts.Signal);
        var again = await jobs.StartReportJobAsync(new ReportRequest { CustomerId = "c-1", Seconds = 5 }).WaitAsync(TestTimeouts.Signal);
        var batch = await jobs.StartReportJobsAsync([new ReportRequest { CustomerId = "c-1", Seconds = 5 }, new ReportRequest { CustomerId = "c-2", Seconds = 3600 }]).WaitAsync(TestTimeouts.Signal);

        Assert.False(first.WasDeduplicated);
        Assert.True(again.WasDeduplicated);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal([200, 202], batch.Select(item => item.Status));
        Assert.True(batch[0].Operation!.WasDeduplicated);
        Assert.Equal(first.Id, batch[0].Operation!.Id);
        Assert.False(batch[1].Operation!.WasDeduplicated);

        await first.CancelAsync().WaitAsync(TestTimeouts.Signal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => again.WaitForCompletionAsync().WaitAsync(TestTimeouts.Signal));
        var next = await jobs.StartReportJobAsync(new ReportRequest { CustomerId = "c-1", Seconds = 3600 }).WaitAsync(TestTimeouts.Signal);

        Assert.False(next.WasDeduplicated);
        Assert.NotEqual(first.Id, next.Id);
        await next.CancelAsync().WaitAsync(TestTimeouts.Signal);
        await batch[1].Operation!.CancelAsync().WaitAsync(TestTimeouts.Signal);
    }
}
