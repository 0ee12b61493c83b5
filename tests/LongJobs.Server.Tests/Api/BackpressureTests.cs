using System.Net;
using LongJobs.Server.Execution;
using LongJobs.Server.Execution.Scheduling;
using LongJobs.Server.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>Refused starts, through the API or an app's own endpoint: 429 when the queue is full, 503 while shutting down; both with Retry-After.</summary>
public sealed class BackpressureTests
{
    [Fact]
    public async Task Start_WhenQueueIsFull_Returns429WithRetryAfterAndProblem()
    {
        await using var api = await TestApi.StartAsync(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
            options.QueueFullRetryAfter = TimeSpan.FromSeconds(7);
        });
        await api.StartGatedAsync("running");
        await api.StartGatedAsync("queued");

        using var response = await api.PostAsync("gated", """{"gateKey":"refused"}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), TestApi.RetryAfter(response));
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Start_OnceAQueuedJobHasMovedOn_IsAcceptedAgain()
    {
        await using var api = await TestApi.StartAsync(options =>
        {
            options.MaxConcurrency = 1;
            options.MaxQueuedJobs = 1;
        });
        await api.StartGatedAsync("first");
        await api.StartGatedAsync("second");
        using (var refused = await api.PostAsync("gated", """{"gateKey":"third"}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        // The second job starts only once the first has finished and given back its capacity.
        api.Gates["first"].Release();
        await api.Gates["second"].Started;
        using var accepted = await api.PostAsync("gated", """{"gateKey":"third"}""");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Fact]
    public async Task Start_WhileShuttingDown_Returns503WithRetryAfterAndProblem()
    {
        await using var api = await TestApi.StartAsync();
        var scheduler = api.App.Services.GetRequiredService<JobScheduler>();
        await scheduler.StopAsync(CancellationToken.None).WithSafetyTimeout();

        using var response = await api.PostAsync("gated", """{"gateKey":"late"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(TestApi.RetryAfter(response));
        await TestApi.ReadProblemAsync(response);
    }

    [Fact]
    public async Task Start_OnceTheHostBeginsStopping_Returns503WithRetryAfterAndProblem()
    {
        await using var api = await TestApi.StartAsync();
        var running = await api.StartGatedAsync("running");
        await api.Gates["running"].Started;

        await TestHost.BeginStoppingAsync(api.App.Services);
        using var response = await api.PostAsync("gated", """{"gateKey":"late"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(TestApi.RetryAfter(response));
        await TestApi.ReadProblemAsync(response);
        Assert.Equal(1, api.Store.Count);
        Assert.Equal(JobStatus.Running, (await api.Store.GetAsync(running))!.Status);
    }

    [Fact]
    public async Task AppEndpointStartingAnAdHocJob_WhenQueueIsFull_Returns429ProblemWithRetryAfter()
    {
        await using var api = await TestApi.StartAsync(
            options =>
            {
                options.MaxConcurrency = 1;
                options.MaxQueuedJobs = 0;
                options.QueueFullRetryAfter = TimeSpan.FromSeconds(9);
            },
            app => app.MapPost("/reports", async ([FromServices] IJobScheduler scheduler) =>
            {
                var job = await scheduler.StartAsync((_, _) => Task.FromResult(1));
                return TypedResults.Accepted($"/api/jobs/{job.Id}");
            }));
        await api.StartGatedAsync("running");
        await api.Gates["running"].Started;

        using var response = await api.Client.PostAsync(new Uri("/reports", UriKind.Relative), null).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(9), TestApi.RetryAfter(response));
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.Equal(1, api.Store.Count);
    }
}
