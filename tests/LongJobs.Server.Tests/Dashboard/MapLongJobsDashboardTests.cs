using System.Net;
using System.Text.RegularExpressions;
using LongJobs.Server.Dashboard;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Tests.Dashboard;

/// <summary>
/// The dashboard's page and assets from the assembly, secure by default: outside Development it is not mapped without
/// a viewer policy or an explicit anonymous opt-in; a viewer who is no operator gets the page without actions and a 403
/// for cancel; cancel needs the page's antiforgery token; a caller sees only the jobs the jobs API shows them.
/// </summary>
public sealed partial class MapLongJobsDashboardTests
{
    private const string Viewers = "jobs-viewers";
    private const string Operators = "jobs-operators";
    private const string OperatorRole = "ops";
    private const string Administrators = "jobs-admin";

    [Fact]
    public async Task Mapping_OutsideDevelopmentWithoutAPolicy_ThrowsNamingTheOptions()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestApi.StartAsync(configureApp: app => app.MapLongJobsDashboard("/jobs")));

        Assert.Contains("'Production', not Development", error.Message, StringComparison.Ordinal);
        Assert.Contains("ViewerPolicy", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowAnonymous = true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mapping_WithAPolicyButNoAuthorizationServices_ThrowsNamingAddAuthorization()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestApi.StartAsync(configureApp: app => app.MapLongJobsDashboard("/jobs", options => options.ViewerPolicy = Viewers)));

        Assert.Contains("AddAuthorization()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mapping_WithAPolicyNotRegistered_ThrowsNamingIt()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestApi.StartAsync(
                configureApp: app => app.MapLongJobsDashboard("/jobs", options => options.ViewerPolicy = "jobs-viewres"),
                addServices: services => services.AddAuthorizationBuilder().AddPolicy(Viewers, policy => policy.RequireAuthenticatedUser())));

        Assert.Contains("'jobs-viewres' is not registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOverview_KeepsItsNames_WhateverTheAppsJsonNamingPolicy()
    {
        await using var api = await TestApi.StartAsync(
            configureApp: app => app.MapLongJobsDashboard("/jobs", options => options.AllowAnonymous = true),
            addServices: services => services.ConfigureHttpJsonOptions(json => json.SerializerOptions.DictionaryKeyPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseUpper));
        await api.StartGatedAsync("counted");

        using var overview = await api.GetAsync("/jobs/_api/overview");

        var counts = (await TestApi.ReadJsonAsync(overview)).GetProperty("statuses");
        Assert.True(counts.TryGetProperty("Running", out _) || counts.TryGetProperty("Queued", out _), counts.GetRawText());
    }

    [Fact]
    public async Task InDevelopment_WithoutAPolicy_ServesThePageWithActions()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseTestServer();
        builder.Services.AddLongJobs();
        await using var app = builder.Build();
        app.MapLongJobsDashboard("/jobs");
        app.MapLongJobs();
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var page = await client.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("true", Attribute(await page.Content.ReadAsStringAsync(), "data-can-operate"));
    }

    [Fact]
    public async Task ThePage_RedirectsToItsFolder_UsesRelativeUrls_AndSendsASecurityPolicy()
    {
        await using var api = await TestApi.StartAsync(configureApp: app => app.MapLongJobsDashboard("/ops/jobs", options => options.AllowAnonymous = true));

        using var redirect = await api.GetAsync("/ops/jobs?status=Failed");
        using var page = await api.GetAsync("/ops/jobs/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("jobs/?status=Failed", redirect.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("../../api/jobs", Attribute(html, "data-api"));
        Assert.Contains("src=\"_assets/dashboard.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", Regex.Replace(html, "<!doctype html>", string.Empty), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("script-src 'self'", TestApi.Header(page, "Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", TestApi.Header(page, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dashboard.js", "text/javascript")]
    [InlineData("dashboard.css", "text/css")]
    public async Task TheAssets_ComeFromTheAssembly_WithAnETagThatRevalidates(string file, string mediaType)
    {
        await using var api = await TestApi.StartAsync(configureApp: app => app.MapLongJobsDashboard("/jobs", options => options.AllowAnonymous = true));

        using var first = await api.GetAsync($"/jobs/_assets/{file}");
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri($"/jobs/_assets/{file}", UriKind.Relative));
        again.Headers.TryAddWithoutValidation("If-None-Match", first.Headers.ETag?.Tag);
        using var revalidated = await api.Client.SendAsync(again).WithSafetyTimeout();
        using var template = await api.GetAsync("/jobs/_assets/index.html");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(mediaType, first.Content.Headers.ContentType?.MediaType);
        Assert.True((await first.Content.ReadAsByteArrayAsync()).Length > 1000);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, template.StatusCode);
    }

    [Fact]
    public async Task WithAViewerPolicy_AnonymousCallersAreChallenged_ViewersGetNoActions_OperatorsDo()
    {
        await using var api = await StartAsync();
        using var anonymous = api.ClientFor(null);
        using var viewer = api.ClientFor("val");
        using var @operator = api.ClientFor("otto", OperatorRole);

        using var refused = await anonymous.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();
        using var overviewRefused = await anonymous.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout();
        using var viewersPage = await viewer.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();
        using var operatorsPage = await @operator.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, overviewRefused.StatusCode);
        Assert.Equal("false", Attribute(await viewersPage.Content.ReadAsStringAsync(), "data-can-operate"));
        Assert.Equal("true", Attribute(await operatorsPage.Content.ReadAsStringAsync(), "data-can-operate"));
    }

    [Fact]
    public async Task Cancel_ByAViewerWhoIsNoOperator_Is403ProblemDetails_AndCancelsNothing()
    {
        await using var api = await StartAsync();
        using var viewer = api.ClientFor("val");
        var id = await StartGatedAsync(viewer, "g");
        await api.Gates["g"].Started;

        using var response = await CancelWithPageTokenAsync(viewer, id);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Contains($"'{Operators}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False((await api.Store.GetAsync(id))!.CancellationRequested);
    }

    [Fact]
    public async Task Cancel_WithoutThePagesAntiforgeryToken_Is400_WithIt_CancelsTheJob()
    {
        await using var api = await StartAsync();
        using var @operator = api.ClientFor("otto", OperatorRole);
        var id = await StartGatedAsync(@operator, "g");
        await api.Gates["g"].Started;

        using var forged = await @operator.PostAsync(new Uri($"/jobs/_api/jobs/{id}/cancel", UriKind.Relative), content: null).WithSafetyTimeout();
        var unchanged = await api.Store.GetAsync(id);
        using var canceled = await CancelWithPageTokenAsync(@operator, id);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("antiforgery", (await TestApi.ReadProblemAsync(forged)).GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.False(unchanged!.CancellationRequested);
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        Assert.True((await TestApi.ReadJsonAsync(canceled)).GetProperty("cancellationRequested").GetBoolean());
    }

    [Fact]
    public async Task AnotherUser_SeesNoneOfAUsersJobs_InTheOverviewTheListOrTheRequest_AndCannotCancelThem()
    {
        await using var api = await StartAsync();
        using var alice = api.ClientFor("alice", OperatorRole);
        using var bob = api.ClientFor("bob", OperatorRole);
        using var admin = api.ClientFor("carol", OperatorRole, Administrators);
        var id = await StartGatedAsync(alice, "g");
        await api.Gates["g"].Started;

        var alices = await TestApi.ReadJsonAsync(await alice.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout());
        var bobs = await TestApi.ReadJsonAsync(await bob.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout());
        var admins = await TestApi.ReadJsonAsync(await admin.GetAsync(new Uri("/jobs/_api/overview", UriKind.Relative)).WithSafetyTimeout());
        var bobsList = await TestApi.ReadJsonAsync(await bob.GetAsync(new Uri("/api/jobs", UriKind.Relative)).WithSafetyTimeout());
        using var bobsRequest = await bob.GetAsync(new Uri($"/jobs/_api/jobs/{id}/request", UriKind.Relative)).WithSafetyTimeout();
        using var alicesRequest = await alice.GetAsync(new Uri($"/jobs/_api/jobs/{id}/request", UriKind.Relative)).WithSafetyTimeout();
        using var bobsCancel = await CancelWithPageTokenAsync(bob, id);

        Assert.Equal(1, alices.GetProperty("statuses").GetProperty("Running").GetInt32());
        Assert.Equal("gated", alices.GetProperty("kinds")[0].GetProperty("kind").GetString());
        Assert.All(bobs.GetProperty("statuses").EnumerateObject(), status => Assert.Equal(0, status.Value.GetInt32()));
        Assert.Equal(0, bobs.GetProperty("kinds").GetArrayLength());
        Assert.Equal(1, admins.GetProperty("statuses").GetProperty("Running").GetInt32());
        Assert.Equal(1, Assert.Single(bobs.GetProperty("nodes").EnumerateArray()).GetProperty("runningJobs").GetInt32());
        Assert.Equal(0, bobsList.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, bobsRequest.StatusCode);
        Assert.Equal("g", (await TestApi.ReadJsonAsync(alicesRequest)).GetProperty("request").GetProperty("gateKey").GetString());
        Assert.Equal(HttpStatusCode.NotFound, bobsCancel.StatusCode);
        Assert.False((await api.Store.GetAsync(id))!.CancellationRequested);
    }

    [Fact]
    public async Task TheOverview_CountsUnfinishedJobsNow_AndTheLastHoursFinishedJobsPerMinute()
    {
        await using var api = await TestApi.StartAsync(configureApp: app => app.MapLongJobsDashboard("/jobs", options => options.AllowAnonymous = true));
        var now = api.Time.GetUtcNow();
        var minute = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        var error = new JobError("urn:test:failed", "Failed.");
        await api.Store.InsertManyAsync([
            new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = now },
            new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = now, Status = JobStatus.Scheduled, NotBefore = now.AddHours(1) },
        ]);
        await FinishAtAsync(api, "imported", minute.AddMinutes(-59), JobStatus.Succeeded, null);
        await FinishAtAsync(api, "imported", minute.AddMinutes(-59).AddSeconds(30), JobStatus.Failed, error);
        await FinishAtAsync(api, "imported", minute.AddMinutes(-60), JobStatus.Failed, error);      // an hour and more ago
        await FinishAtAsync(api, "other", minute, JobStatus.Canceled, null);

        var overview = await TestApi.ReadJsonAsync(await api.GetAsync("/jobs/_api/overview"));

        var statuses = overview.GetProperty("statuses");
        Assert.Equal((1, 1, 1, 1, 1), (statuses.GetProperty("Queued").GetInt32(), statuses.GetProperty("Scheduled").GetInt32(),
            statuses.GetProperty("Succeeded").GetInt32(), statuses.GetProperty("Failed").GetInt32(), statuses.GetProperty("Canceled").GetInt32()));
        var minutes = overview.GetProperty("minutes");
        int[] Series(string name) => [.. minutes.GetProperty(name).EnumerateArray().Select(count => count.GetInt32())];
        var (succeeded, failed, canceled) = (Series("succeeded"), Series("failed"), Series("canceled"));
        Assert.All([succeeded, failed, canceled], series => Assert.Equal(DashboardEndpoints.ChartMinutes, series.Length));
        Assert.Equal((1, 1, 0), (succeeded[0], failed[0], canceled[0]));
        Assert.Equal(1, canceled[59]);
        Assert.Equal(3, succeeded.Sum() + failed.Sum() + canceled.Sum());
        Assert.Equal(minute.AddMinutes(-59), overview.GetProperty("since").GetDateTimeOffset());
        Assert.Empty(overview.GetProperty("statusesAtLeast").EnumerateArray());
        Assert.Equal(4, overview.GetProperty("kinds").EnumerateArray().Single(kind => kind.GetProperty("kind").GetString() == "imported").GetProperty("total").GetInt32());
    }

    private static async Task FinishAtAsync(TestApi api, string kind, DateTimeOffset at, JobStatus status, JobError? error)
    {
        var job = await api.Store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = kind, CreatedAt = at.AddSeconds(-5) });
        Assert.NotNull(await api.Store.TryStartAsync(job.Id, at.AddSeconds(-4)));
        Assert.NotNull(await api.Store.TryFinishAsync(job.Id, JobStatus.Running, 1, new JobOutcome(status, at, Error: error)));
    }

    [Theory]
    [InlineData("/jobs/", "/api/jobs", "../api/jobs")]
    [InlineData("/", "/api/jobs", "api/jobs")]
    [InlineData("/admin/jobs/", "/api/jobs/", "../../api/jobs")]
    [InlineData("/jobs/", "/my api", "../my%20api")]
    public void TheApiPath_IsRelativeToThePagesFolder(string page, string api, string expected) =>
        Assert.Equal(expected, DashboardPage.RelativeApiPath(page, api));

    private static Task<TestApi> StartAsync() =>
        TestApi.StartAsync(
            options => options.AdministratorRole = Administrators,
            configureApp: app => app.MapLongJobsDashboard("/jobs", options =>
            {
                options.ViewerPolicy = Viewers;
                options.OperatorPolicy = Operators;
            }),
            addServices: services =>
            {
                HeaderAuthenticationHandler.Add(services);
                services.AddAuthorizationBuilder()
                    .AddPolicy(Viewers, policy => policy.RequireAuthenticatedUser())
                    .AddPolicy(Operators, policy => policy.RequireRole(OperatorRole));
            });

    private static async Task<Guid> StartGatedAsync(HttpClient client, string gateKey)
    {
        using var response = await client.PostAsync(new Uri("/api/jobs/gated", UriKind.Relative), TestApi.Json($$"""{"gateKey":"{{gateKey}}"}""")).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>Loads the page, as a browser would, and cancels with its antiforgery token and cookie.</summary>
    private static async Task<HttpResponseMessage> CancelWithPageTokenAsync(HttpClient client, Guid id)
    {
        using var page = await client.GetAsync(new Uri("/jobs/", UriKind.Relative)).WithSafetyTimeout();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = Attribute(await page.Content.ReadAsStringAsync(), "data-token");
        var cookie = page.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/jobs/_api/jobs/{id}/cancel", UriKind.Relative));
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request).WithSafetyTimeout();
    }

    private static string Attribute(string html, string name)
    {
        var match = Regex.Match(html, $"{name}=\"([^\"]*)\"");
        Assert.True(match.Success, $"The page has no {name} attribute.");
        return match.Groups[1].Value;
    }
}
