using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LongJobs.Sample.BrowserTests.Support;
using LongJobs.Server.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LongJobs.Sample.BrowserTests;

/// <summary>
/// The dashboard's operator actions beside cancel, from the page: retry a failed or cancelled job (a new job linked to
/// it), pause and resume a kind; and a viewer who may do neither.
/// </summary>
public sealed class DashboardActionTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task AFailedJob_RetriedFromItsDetail_ByADoubleClick_StartsOneNewJobLinkedToIt()
    {
        await using var server = SampleServer.Start();
        var failing = await server.StartJobAsync("fail", new { seconds = 0 });
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"));
        await Expect(page.Row(failing).Status).ToHaveTextAsync("Failed");
        await Expect(page.Row(failing).Retry).ToBeVisibleAsync();
        await page.Row(failing).Link.ClickAsync();
        await Expect(page.Detail.Status).ToHaveTextAsync("Failed");

        await page.Detail.Retry.DblClickAsync();

        await Expect(page.Detail.Title).Not.ToHaveTextAsync($"Job {failing}");
        await Expect(page.Detail.RetryOf).ToHaveTextAsync(failing.ToString());
        await Expect(page.Detail.Kind).ToHaveTextAsync("fail");
        await Expect(page.Detail.Request).ToContainTextAsync("\"seconds\": 0");
        await Expect(page.Detail.Status).ToHaveTextAsync("Failed");
        await page.Page.GetByRole(AriaRole.Link, new() { Name = "← All jobs" }).ClickAsync();
        await Expect(page.Rows).ToHaveCountAsync(2);
        await Expect(page.Row(failing).Status).ToHaveTextAsync("Failed");
        await page.SearchAsync(failing);
        await Expect(page.Detail.RetryOf).ToHaveTextAsync("—");
        using var client = new HttpClient { BaseAddress = server.Address };
        var jobs = await client.GetFromJsonAsync<JsonElement>("api/jobs?kind=fail");
        Assert.Equal(2, jobs.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task AKind_PausedFromThePage_HoldsItsNewJobsInTheQueue_UntilResumedFromThePage()
    {
        await using var server = SampleServer.Start();
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"));
        await Expect(page.KindPaused("sleep")).ToHaveTextAsync("Active");

        await page.PauseKind("sleep").ClickAsync();

        await Expect(page.KindPaused("sleep")).ToHaveTextAsync("Paused");
        var held = await server.StartJobAsync("sleep", new { seconds = 1 });
        var other = await server.StartJobAsync("primes", new { below = 1000 });
        await Expect(page.Row(other).Status).ToHaveTextAsync("Succeeded");
        await Expect(page.Row(held).Status).ToHaveTextAsync("Queued");
        await Expect(page.QueueLength).ToHaveTextAsync("1");

        await page.ResumeKind("sleep").ClickAsync();

        await Expect(page.KindPaused("sleep")).ToHaveTextAsync("Active");
        await Expect(page.Row(held).Status).ToHaveTextAsync("Succeeded");
        await Expect(page.QueueLength).ToHaveTextAsync("0");
    }

    [Fact]
    public async Task AViewer_SeesNeitherRetryNorPause_AndTheServerRefusesBoth_WhileAnOperatorRetries()
    {
        await using var server = await SecuredServer.StartAsync("val");
        var id = await server.StartJobAsync("sleep", new { seconds = 60 });
        await server.CancelJobAsync(id);
        var viewer = new Dictionary<string, string> { [HeaderAuthenticationHandler.UserHeader] = "val" };
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), viewer);

        await Expect(page.Row(id).Status).ToHaveTextAsync("Canceled");
        await Expect(page.KindPaused("sleep")).ToHaveTextAsync("Active");
        await Expect(page.Row(id).Retry).ToBeHiddenAsync();
        await Expect(page.PauseKind("sleep")).ToHaveCountAsync(0);
        await page.Row(id).Link.ClickAsync();
        await Expect(page.Detail.Status).ToHaveTextAsync("Canceled");
        await Expect(page.Detail.Retry).ToBeHiddenAsync();
        var refused = await page.Page.EvaluateAsync<int[]>(
            """
            async id => {
              const post = url => fetch(url, { method: 'POST', headers: { RequestVerificationToken: document.body.dataset.token } }).then(r => r.status);
              return [await post(`_api/jobs/${id}/retry`), await post('_api/kinds/sleep/pause')];
            }
            """,
            id.ToString());
        Assert.Equal([403, 403], refused);

        var @operator = new Dictionary<string, string>(viewer) { [HeaderAuthenticationHandler.RolesHeader] = SecuredServer.OperatorRole };
        await using var operatorsPage = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), @operator);
        await operatorsPage.Row(id).Retry.ClickAsync();
        await Expect(operatorsPage.Notice).ToContainTextAsync(RetriedAs());
        await Expect(operatorsPage.Rows).ToHaveCountAsync(2);
        await Expect(page.Detail.Status).ToHaveTextAsync("Canceled");
    }

    [Fact]
    public async Task TheList_FiltersByCreationTime_AndForAnAdministratorByOwner()
    {
        await using var server = await SecuredServer.StartAsync("val");
        var vals = await server.StartJobAsync("sleep", new { seconds = 60 });
        var mallorys = await server.StartJobAsync("sleep", new { seconds = 60 }, user: "mallory");
        var viewer = new Dictionary<string, string> { [HeaderAuthenticationHandler.UserHeader] = "val" };
        var admin = new Dictionary<string, string> { [HeaderAuthenticationHandler.UserHeader] = "ada", [HeaderAuthenticationHandler.RolesHeader] = SecuredServer.AdministratorRole };
        await using var viewersPage = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), viewer);
        await using var page = await DashboardPage.OpenAsync(chromium.Browser, new Uri(server.Address, "jobs/"), admin);
        await Expect(viewersPage.Rows).ToHaveCountAsync(1);
        await Expect(viewersPage.OwnerFilter).ToBeHiddenAsync();
        await Expect(page.Rows).ToHaveCountAsync(2);

        await page.OwnerFilter.FillAsync("mallory");
        await page.OwnerFilter.PressAsync("Enter");

        await Expect(page.Rows).ToHaveCountAsync(1);
        await Expect(page.Row(mallorys).Status).ToHaveTextAsync("Running");

        await page.CreatedFrom.FillAsync("2020-01-01T00:00");
        await page.CreatedTo.FillAsync("2020-01-02T00:00");

        await Expect(page.NoJobs).ToBeVisibleAsync();
        await Expect(page.Rows).ToHaveCountAsync(0);

        await page.CreatedTo.FillAsync(string.Empty);
        await page.OwnerFilter.FillAsync(string.Empty);
        await page.OwnerFilter.PressAsync("Enter");

        await Expect(page.Rows).ToHaveCountAsync(2);
        await Expect(page.Row(vals).Status).ToHaveTextAsync("Running");
        await page.OwnerFilter.FillAsync("val");
        await page.OwnerFilter.PressAsync("Enter");
        await Expect(page.Rows).ToHaveCountAsync(1);
        await page.ScreenshotAsync(Artifacts.PathOf("screenshots/dashboard-list-filtered.png"));
        await viewersPage.ScreenshotAsync(Artifacts.PathOf("screenshots/dashboard-viewer.png"));
    }

    private static Regex RetriedAs() => new("^Retried as job [0-9a-f-]{36}\\.$");
}
