using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Api;

public sealed class MapLongJobsTests
{
    [Fact]
    public async Task MapLongJobs_WithoutAddLongJobs_ThrowsNamingAddLongJobs()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();

        var exception = Assert.Throws<InvalidOperationException>(() => app.MapLongJobs());

        Assert.Contains("AddLongJobs", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapLongJobs_GivesEveryRouteAStableName()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Services.AddLongJobs()
            .AddJob<Support.GatedJob, Support.GatedRequest, Support.GatedResult>("gated-work")
            .AddJob<Support.FailingJob, Support.FailingRequest, Support.GatedResult>("failing");
        builder.Services.AddSingleton(new Support.JobGates());
        await using var app = builder.Build();

        app.MapLongJobs();

        var names = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .Select(endpoint => endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName)
            .OfType<string>()
            .Order()
            .ToList();
        Assert.Equal(
            ["CancelJob", "DeleteJob", "GetFailingJob", "GetGatedWorkJob", "GetJob", "GetJobHistory", "ListJobKinds", "ListJobs", "ListJobSchedules", "PauseJobKind", "PauseJobSchedule", "ResumeJobKind", "ResumeJobSchedule", "RetryJob", "StartFailingJob", "StartFailingJobs", "StartGatedWorkJob", "StartGatedWorkJobs", "StreamAllJobEvents", "StreamJobEvents"],
            names);
    }

    [Fact]
    public async Task MapLongJobs_DeclaresA400ForCancelJob()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Services.AddLongJobs();
        await using var app = builder.Build();

        app.MapLongJobs();

        var cancelJob = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .Single(endpoint => endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "CancelJob");
        var statusCodes = cancelJob.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(produces => produces.StatusCode);
        Assert.Contains(StatusCodes.Status400BadRequest, statusCodes);
    }
}
