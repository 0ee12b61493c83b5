using System.Net;
using LongJobs.Sample.Jobs;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// An app outside Development with users (<see cref="HeaderAuthenticationHandler"/>: the browser sends the user in a
/// header) and the dashboard behind two policies: signed-in users view, users in <see cref="OperatorRole"/> also act.
/// The sample's sleep job kind.
/// </summary>
internal sealed class SecuredServer : IJobServer
{
    public const string OperatorRole = "ops";

    /// <summary>The role of administrators, who see every user's jobs and filter them by owner.</summary>
    public const string AdministratorRole = "jobs-admin";

    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private SecuredServer(WebApplication app, string user)
    {
        _app = app;
        Address = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        _client = new HttpClient { BaseAddress = Address };
        _client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
    }

    /// <inheritdoc />
    public Uri Address { get; }

    /// <summary>Starts the app; <paramref name="user"/> starts the jobs of <see cref="StartJobAsync"/>.</summary>
    public static async Task<SecuredServer> StartAsync(string user)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        HeaderAuthenticationHandler.Add(builder.Services);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("jobs-viewers", policy => policy.RequireAuthenticatedUser())
            .AddPolicy("jobs-operators", policy => policy.RequireRole(OperatorRole));
        builder.Services.AddLongJobs(options => options.AdministratorRole = AdministratorRole).AddJob<SleepJob, SleepRequest, SleepResult>("sleep");

        var app = builder.Build();
        app.MapLongJobs().RequireAuthorization("jobs-viewers");
        app.MapLongJobsDashboard("/jobs", options =>
        {
            options.ViewerPolicy = "jobs-viewers";
            options.OperatorPolicy = "jobs-operators";
        });
        await app.StartAsync();
        return new SecuredServer(app, user);
    }

    /// <inheritdoc />
    public Task<Guid> StartJobAsync(string kind, object request) => JobServers.StartJobAsync(_client, kind, request);

    /// <summary>Cancels a job through the REST API as the server's default user (its owner may).</summary>
    public async Task CancelJobAsync(Guid id)
    {
        using var response = await _client.PostAsync(new Uri($"api/jobs/{id}/cancel", UriKind.Relative), content: null);
        Assert.True(response.IsSuccessStatusCode, $"The cancel of job {id} answered {(int)response.StatusCode}.");
    }

    /// <summary>Starts a job as <paramref name="user"/>, who owns it.</summary>
    public async Task<Guid> StartJobAsync(string kind, object request, string user)
    {
        using var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.UserHeader, user);
        return await JobServers.StartJobAsync(client, kind, request);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }
}
