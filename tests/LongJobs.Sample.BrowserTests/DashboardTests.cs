using System.Text.RegularExpressions;
using LongJobs.Sample.BrowserTests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LongJobs.Sample.BrowserTests;

/// <summary>
/// The jobs dashboard (<c>MapLongJobsDashboard</c>) of the sample server in headless Chromium, used as a person would:
/// its overview, list, search, detail and Cancel buttons; jobs are started through the REST API, as the app's clients
/// would. Then an app with users: a viewer who may not cancel; and the sample under a path base.
/// </summary>
public sealed partial class DashboardTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    [Fact]
    public async Task TheOverview_CountsJobsByStatusAndKind_AndTheListFollowsThemLive()
    {
        await using var server = SampleServer.Start();
        var quick = await server.StartJobAsync("sleep", new { seconds = 1 });
        var failing = await server.StartJobAsync("fail", new { seconds = 1 });
        var primes = await server.StartJobAsync("primes", new { below = 1_000_000 });
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs"));
        await Expect(page.Rows).ToHaveCountAsync(3);
        await Expect(page.Connection).ToContainTextAsync("server-sent events");

        var slow = await server.StartJobAsync("sleep", new { seconds = 60 });
        var queued = await server.StartJobAsync("sleep", new { seconds = 30 });

        await Expect(page.Rows).ToHaveCountAsync(5);
        await Expect(page.Row(quick).Status).ToHaveTextAsync("Succeeded");
        await Expect(page.Row(failing).Status).ToHaveTextAsync("Failed");
        await Expect(page.Row(failing).Message).ToHaveTextAsync("The job failed.");
        await Expect(page.Row(primes).Status).ToHaveTextAsync("Succeeded");
        await Expect(page.Row(slow).Status).ToHaveTextAsync("Running");
        await Expect(page.Row(slow).Progress).ToHaveAttributeAsync("aria-valuenow", PartlyDone());
        await Expect(page.Row(slow).Cancel).ToBeVisibleAsync();
        await Expect(page.Row(quick).Cancel).ToBeHiddenAsync();
        await page.Row(queued).Cancel.ClickAsync();
        await Expect(page.Row(queued).Status).ToHaveTextAsync("Canceled");

        await Expect(page.Count("Succeeded")).ToHaveTextAsync("2");
        await Expect(page.Count("Failed")).ToHaveTextAsync("1");
        await Expect(page.Count("Running")).ToHaveTextAsync("1");
        await Expect(page.Count("Canceled")).ToHaveTextAsync("1");
        await Expect(page.KindRow("sleep")).ToContainTextAsync("sleep3");
        await Expect(page.KindRow("primes")).ToContainTextAsync("primes1");
        await Expect(page.QueueLength).ToHaveTextAsync("0");
        await Expect(page.ThroughputChart).ToHaveAttributeAsync("data-total", "4");
        await Expect(page.FailuresChart).ToHaveAttributeAsync("data-total", "1");
        await Expect(page.ThroughputChart.Locator("rect.bar-succeeded")).Not.ToHaveCountAsync(0);
        await Expect(page.FailuresChart.Locator("rect.bar-failed")).ToHaveCountAsync(1);
        await Expect(page.Nodes).ToHaveCountAsync(1);
        await Expect(page.Nodes.Nth(0).Locator("td").Nth(1)).ToHaveTextAsync("1");
        await page.ScreenshotAsync(Artifacts.PathOf("screenshots/dashboard-overview.png"));

        await page.Page.GetByLabel("Status").SelectOptionAsync("Failed");
        await Expect(page.Rows).ToHaveCountAsync(1);
        await Expect(page.Row(failing).Status).ToHaveTextAsync("Failed");
        await page.Page.GetByLabel("Status").SelectOptionAsync(string.Empty);
        await page.Page.GetByLabel("Kind").SelectOptionAsync("sleep");
        await Expect(page.Rows).ToHaveCountAsync(3);

        var firstLoad = await WeighFirstLoadAsync(server.Address);
        Assert.InRange(firstLoad, 1, 64 * 1024);
    }

    [Fact]
    public async Task AJobsDetail_ShowsItsRequestProgressResultAttemptsAndLog_OrItsProblem_AndCancelsFromThePage()
    {
        await using var server = SampleServer.Start();
        var primes = await server.StartJobAsync("primes", new { below = 1_000_000 });
        var failing = await server.StartJobAsync("fail", new { seconds = 0 });
        var slow = await server.StartJobAsync("sleep", new { seconds = 60 });
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"));
        await Expect(page.Row(primes).Status).ToHaveTextAsync("Succeeded");

        await page.Row(primes).Link.ClickAsync();

        var detail = page.Detail;
        await Expect(detail.Title).ToHaveTextAsync($"Job {primes}");
        await Expect(detail.Kind).ToHaveTextAsync("primes");
        await Expect(detail.Status).ToHaveTextAsync("Succeeded");
        await Expect(detail.Progress).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(detail.Request).ToContainTextAsync("\"below\": 1000000");
        await Expect(detail.Outcome).ToContainTextAsync("\"count\": 78498");
        await Expect(detail.Cancel).ToBeHiddenAsync();
        await Expect(detail.Attempts).ToHaveCountAsync(1);
        await Expect(detail.Attempts.Nth(0)).ToContainTextAsync("Succeeded");
        await Expect(detail.Attempts.Nth(0).Locator("td").Nth(3)).Not.ToHaveTextAsync("—");
        await Expect(detail.LogLines).ToHaveCountAsync(2);
        await Expect(detail.LogLines.Nth(0)).ToContainTextAsync("Sieving the primes below 1,000,000");
        await Expect(detail.LogLines.Nth(1)).ToContainTextAsync("Found 78,498 primes");
        await Expect(detail.LogLines.Nth(1)).ToContainTextAsync("Information");
        await page.ScreenshotAsync(Artifacts.PathOf("screenshots/dashboard-job-detail.png"));

        await page.SearchAsync(failing);

        await Expect(detail.Title).ToHaveTextAsync($"Job {failing}");
        await Expect(detail.Status).ToHaveTextAsync("Failed");
        await Expect(detail.OutcomeTitle).ToHaveTextAsync("Problem");
        await Expect(detail.Outcome).ToContainTextAsync("The job failed.");
        await Expect(detail.Attempts).ToHaveCountAsync(1);
        await Expect(detail.Attempts.Nth(0)).ToContainTextAsync("Failed");
        await Expect(detail.Attempts.Nth(0)).ToContainTextAsync("The job failed.");
        await Expect(detail.LogLines.Last).ToContainTextAsync("Failing on purpose.");
        await Expect(detail.LogLines.Last).ToContainTextAsync("Error");

        await page.SearchAsync(slow);

        await Expect(detail.Status).ToHaveTextAsync("Running");
        await Expect(detail.ProgressMessage).ToContainTextAsync("of 60 s");
        var message = await detail.ProgressMessage.TextContentAsync();
        await Expect(detail.ProgressMessage).Not.ToHaveTextAsync(message!);
        await Expect(detail.Request).ToContainTextAsync("\"seconds\": 60");
        await Expect(detail.Attempts).ToHaveCountAsync(1);
        await Expect(detail.Attempts.Nth(0)).ToContainTextAsync("Running");

        // The running job's line reaches the store within a second, and the page within its next read.
        await Expect(detail.LogLines).ToHaveCountAsync(1);
        await Expect(detail.LogLines.Nth(0)).ToContainTextAsync("Sleeping 60 s in attempt 1.");

        await detail.Cancel.ClickAsync();

        await Expect(detail.Status).ToHaveTextAsync("Canceled");
        await Expect(detail.Attempts.Nth(0)).ToContainTextAsync("Canceled");
        await Expect(detail.Cancel).ToBeHiddenAsync();
        await page.Page.GetByRole(AriaRole.Link, new() { Name = "← All jobs" }).ClickAsync();
        await Expect(page.Row(slow).Status).ToHaveTextAsync("Canceled");
    }

    [Fact]
    public async Task WithoutServerSentEvents_TheDashboardPolls_AndShowsAJobRunAndFinish()
    {
        await using var server = SampleServer.Start();
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), beforeLoad: tab =>
            tab.RouteAsync("**/api/jobs/**events*", route => route.FulfillAsync(new() { Status = 404 })));
        await Expect(page.Connection).ToContainTextAsync("polling");

        // Long enough that a poll sees it running however busy the machine; then it ends when cancelled.
        var id = await server.StartJobAsync("sleep", new { seconds = 60 });

        await Expect(page.Row(id).Status).ToHaveTextAsync("Running");
        await server.CancelJobAsync(id);
        await Expect(page.Row(id).Status).ToHaveTextAsync("Canceled");
        await Expect(page.Count("Canceled")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task AJobsFinalEvent_ThatComesWhileTheListIsRead_IsNotUndoneByTheOlderList()
    {
        await using var server = SampleServer.Start();
        var running = await server.StartJobAsync("sleep", new { seconds = 60 });
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"));
        await Expect(page.Connection).ToContainTextAsync("server-sent events");
        await Expect(page.Row(running).Status).ToHaveTextAsync("Running");

        // Hold the list's next answer, read while the job still ran, until the job's final event has been shown.
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.Page.RouteAsync(url => new Uri(url).AbsolutePath.EndsWith("/api/jobs", StringComparison.Ordinal), async route =>
        {
            var response = await route.FetchAsync();
            read.TrySetResult();
            await release.Task;
            await route.FulfillAsync(new() { Response = response });
        });
        var added = await server.StartJobAsync("sleep", new { seconds = 60 }); // a new job: the page reads its list again
        await read.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await server.CancelJobAsync(running);
        await Expect(page.Row(running).Status).ToHaveTextAsync("Canceled");

        release.SetResult();

        await Expect(page.Row(added).Status).ToBeVisibleAsync(); // the held list is shown
        Assert.Equal("Canceled", await page.Row(running).Status.TextContentAsync());
    }

    [Fact]
    public async Task AJobsDetail_ShowsItsNotificationDeliveries_AsTheyGo()
    {
        await using var server = SampleServer.Start();
        // Nothing listens on the discard port: the webhook's first attempt fails, and it waits for the next.
        var id = await server.StartJobWithCallbackAsync("sleep", new { seconds = 1 }, new Uri("http://127.0.0.1:9/hooks/jobs"));
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, $"jobs/#job/{id}"));

        var delivery = page.Page.GetByTestId("detail-deliveries").Locator("tr");
        await Expect(page.Detail.Status).ToHaveTextAsync("Succeeded");
        await Expect(delivery).ToHaveCountAsync(1);
        await Expect(delivery.Nth(0).Locator("td").Nth(0)).ToHaveTextAsync("webhook");
        await Expect(delivery.Nth(0).Locator("td").Nth(2)).Not.ToHaveTextAsync("0");
        await Expect(delivery.Nth(0).Locator("td").Nth(5)).Not.ToBeEmptyAsync();
    }

    [Fact]
    public async Task TheSchedules_AreListedWithTheirNextRun_AndAnOperatorPausesAndResumesOne()
    {
        await using var server = SampleServer.Start(nightlyReport: "30 4 * * *");
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"));
        var row = page.Page.Locator("[data-testid=schedule-row][data-schedule='nightly-report']");

        await Expect(row).ToContainTextAsync("report");
        await Expect(row).ToContainTextAsync("30 4 * * * (UTC)");
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("Active");
        await row.GetByTestId("schedule-pause").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("Paused");
        await row.GetByTestId("schedule-resume").ClickAsync();
        await Expect(row.GetByTestId("schedule-state")).ToHaveTextAsync("Active");
    }

    [Fact]
    public async Task UnderAPathBase_ThePageAndEveryRequestItMakesStayUnderIt()
    {
        await using var server = SampleServer.Start("/ops");
        var id = await server.StartJobAsync("sleep", new { seconds = 1 });
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs"));

        await Expect(page.Connection).ToContainTextAsync("server-sent events");
        await Expect(page.Row(id).Status).ToHaveTextAsync("Succeeded");
        await page.Row(id).Link.ClickAsync();
        await Expect(page.Detail.Request).ToContainTextAsync("\"seconds\": 1");

        Assert.Equal(new Uri(server.Address, $"jobs/#job/{id}").ToString(), page.Page.Url);
        var outside = page.Responses.Where(response => !response.Url.StartsWith(server.Address.ToString(), StringComparison.Ordinal) || response.Status >= 400);
        Assert.Empty(outside.Select(response => $"{response.Status} {response.Url}"));
    }

    [Fact]
    public async Task AViewer_SeesOnlyTheirJobs_WithoutCancel_AndTheServerRefusesTheirCancel_WhileAnOperatorCancels()
    {
        await using var server = await SecuredServer.StartAsync("val");
        var id = await server.StartJobAsync("sleep", new { seconds = 60 });
        var others = await server.StartJobAsync("sleep", new { seconds = 60 }, user: "mallory");
        var viewer = new Dictionary<string, string> { [HeaderAuthenticationHandler.UserHeader] = "val" };
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), viewer);

        await Expect(page.Row(id).Status).ToHaveTextAsync("Running");
        await Expect(page.Row(id).Cancel).ToBeHiddenAsync();
        await Expect(page.Rows).ToHaveCountAsync(1);
        await Expect(page.Count("Running")).ToHaveTextAsync("1");
        await page.SearchAsync(others);
        await Expect(page.Problem).ToContainTextAsync("Job not found.");
        await page.Page.GetByRole(AriaRole.Link, new() { Name = "← All jobs" }).ClickAsync();
        await page.Row(id).Link.ClickAsync();
        await Expect(page.Detail.Status).ToHaveTextAsync("Running");
        await Expect(page.Detail.Cancel).ToBeHiddenAsync();
        var refused = await page.Page.EvaluateAsync<int>(
            "id => fetch(`_api/jobs/${id}/cancel`, { method: 'POST', headers: { RequestVerificationToken: document.body.dataset.token } }).then(r => r.status)",
            id.ToString());
        Assert.Equal(403, refused);
        await Expect(page.Detail.Status).ToHaveTextAsync("Running");

        var @operator = new Dictionary<string, string>(viewer) { [HeaderAuthenticationHandler.RolesHeader] = SecuredServer.OperatorRole };
        await using var operatorsPage = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), @operator);
        await operatorsPage.Row(id).Cancel.ClickAsync();
        await Expect(operatorsPage.Row(id).Status).ToHaveTextAsync("Canceled");
        await Expect(page.Detail.Status).ToHaveTextAsync("Canceled");
    }

    [Fact]
    public async Task ThePage_WithoutTheUser_IsRefused()
    {
        await using var server = await SecuredServer.StartAsync("val");
        await using var context = await chromium.Browser.NewContextAsync();

        var response = await context.APIRequest.GetAsync(new Uri(server.Address, "jobs/").ToString());

        Assert.Equal(401, response.Status);
    }

    /// <summary>
    /// The bytes sent for the first load of the page (a fresh tab, everything but the event stream), and how long after
    /// navigation began the counts and jobs showed (an upper bound: Playwright checks every few milliseconds).
    /// </summary>
    private async Task<long> WeighFirstLoadAsync(Uri address)
    {
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(address, "jobs/"));
        await Expect(page.Count("Succeeded")).ToHaveTextAsync("2");
        await Expect(page.Rows).ToHaveCountAsync(5);
        var shown = await page.Page.EvaluateAsync<double>("performance.now()");
        var interactive = await page.Page.EvaluateAsync<double>("performance.getEntriesByName('dashboard-interactive')[0]?.startTime ?? -1");
        var domContentLoaded = await page.Page.EvaluateAsync<double>("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd");
        long total = 0;
        foreach (var response in page.Responses.Where(response => response.Headers.GetValueOrDefault("content-type")?.StartsWith("text/event-stream", StringComparison.Ordinal) != true))
        {
            var sizes = await response.Request.SizesAsync();
            total += sizes.ResponseHeadersSize + sizes.ResponseBodySize;
            output.WriteLine($"  {sizes.ResponseHeadersSize + sizes.ResponseBodySize,6} bytes  {response.Url}");
        }

        output.WriteLine($"First load: {total} bytes (page, script, style sheet, overview, list; uncompressed); counts and jobs shown {shown:F0} ms after navigation began.");
        output.WriteLine($"Time to interactive: {interactive:F0} ms (the page's own mark: counts, charts and first page of jobs rendered, controls wired); DOMContentLoaded at {domContentLoaded:F0} ms.");
        Assert.InRange(interactive, 1, shown);

        return total;
    }

    /// <summary>A percentage above 0 and below 100.</summary>
    [GeneratedRegex("^[1-9][0-9]?$")]
    private static partial Regex PartlyDone();
}
