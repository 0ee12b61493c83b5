namespace LongJobs.Server.Storage.Conformance;

/// <summary>Lists by creation time (<see cref="JobQuery.CreatedAfter"/>, <see cref="JobQuery.CreatedBefore"/>), the dashboard's time range.</summary>
public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task List_CreatedRange_ReturnsJobsCreatedFromTheStartUntilBeforeTheEnd_PagedNewestFirst()
    {
        var store = CreateStore();
        var jobs = new List<JobRecord>();
        for (var minute = 0; minute < 6; minute++)
        {
            jobs.Add(await store.InsertAsync(NewJob(minute % 2 == 0 ? "even" : "odd", T0.AddMinutes(minute))));
        }

        var first = await store.ListAsync(new JobQuery { CreatedAfter = T0.AddMinutes(1), CreatedBefore = T0.AddMinutes(5), PageSize = 3 });
        var second = await store.ListAsync(new JobQuery { CreatedAfter = T0.AddMinutes(1), CreatedBefore = T0.AddMinutes(5), PageSize = 3, After = first.Next });
        var fromOnly = await store.ListAsync(new JobQuery { CreatedAfter = T0.AddMinutes(4), Kind = "even" });
        var beforeOnly = await store.ListAsync(new JobQuery { CreatedBefore = T0.AddMinutes(1) });

        Assert.Equal([jobs[4].Id, jobs[3].Id, jobs[2].Id], first.Items.Select(job => job.Id));
        Assert.Equal([jobs[1].Id], second.Items.Select(job => job.Id));
        Assert.Null(second.Next);
        Assert.Equal([jobs[4].Id], fromOnly.Items.Select(job => job.Id));
        Assert.Equal([jobs[0].Id], beforeOnly.Items.Select(job => job.Id));
    }
}
