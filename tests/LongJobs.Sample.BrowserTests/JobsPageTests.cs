using System.Text.Json;
using System.Text.RegularExpressions;
using LongJobs.Sample.BrowserTests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LongJobs.Sample.BrowserTests;

/// <summary>The sample server's live job page in headless Chromium, used as a person would: by its buttons.</summary>
public sealed partial class JobsPageTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    [Fact]
    public async Task JobsStartedFromThePage_RunAndEndSucceededFailedOrCanceled()
    {
        await using var server = SampleServer.Start();
        await using var page = await JobsPage.OpenAsync(chromium.Browser, server.Address);
        await Expect(page.Connection).ToContainTextAsync("server-sent events");

        await page.StartSleepJobsAsync(2, count: 2);
        await page.StartFailingJobAsync(2);
        await page.CountPrimesAsync(1_000_000);

        var sleeps = page.RowsOf("sleep");
        await Expect(sleeps.Locator).ToHaveCountAsync(2);
        foreach (var sleep in new[] { sleeps.Nth(0), sleeps.Nth(1) })
        {
            await Expect(sleep.Status).ToHaveTextAsync("Succeeded");
            await Expect(sleep.Progress).ToHaveAttributeAsync("aria-valuenow", "100");
            await Expect(sleep.Outcome).ToHaveTextAsync("Slept 2 s");
            await AssertSeenRunningAsync(page, sleep, "Succeeded");
        }

        var fail = page.RowsOf("fail");
        await Expect(fail.Status).ToHaveTextAsync("Failed");
        await Expect(fail.Outcome).ToContainTextAsync("The job failed.");
        await AssertSeenRunningAsync(page, fail, "Failed");

        var primes = page.RowsOf("primes");
        await Expect(primes.Status).ToHaveTextAsync("Succeeded");
        await Expect(primes.Outcome).ToHaveTextAsync("78,498 primes below 1,000,000; the largest is 999,983");

        await page.StartSleepJobsAsync(30, count: 2);
        var slow = page.RowsOf("sleep").WithText("of 30 s");
        await Expect(slow.Locator).ToHaveCountAsync(2);
        var (newer, older) = (slow.Nth(0), slow.Nth(1));
        await Expect(older.Status).ToHaveTextAsync("Running");
        await Expect(older.Progress).ToHaveAttributeAsync("aria-valuenow", PartlyDone());

        await older.Cancel.ClickAsync();

        await Expect(older.Status).ToHaveTextAsync("Canceled");
        await Expect(older.Cancel).ToBeHiddenAsync();
        await Expect(newer.Status).ToHaveTextAsync("Running");
        await Expect(page.Rows).ToHaveCountAsync(6);
        await Expect(page.Connection).ToContainTextAsync("server-sent events");
        var screenshot = Artifacts.PathOf("screenshots/jobs-page.png");
        await page.ScreenshotAsync(screenshot);
        output.WriteLine($"Screenshot of the job page: {screenshot}");

        await newer.Cancel.ClickAsync();

        await Expect(newer.Status).ToHaveTextAsync("Canceled");
    }

    [Fact]
    public async Task AfterAReload_ThePageListsEarlierJobsWithTheirResults_AndFollowsTheRunningOne()
    {
        await using var server = SampleServer.Start();
        await using var page = await JobsPage.OpenAsync(chromium.Browser, server.Address);
        await page.StartSleepJobsAsync(1);
        await page.StartFailingJobAsync(1);
        await page.CountPrimesAsync(1_000_000);
        await page.StartSleepJobsAsync(30);
        var quick = page.RowsOf("sleep").WithText("of 1 s");
        var slow = page.RowsOf("sleep").WithText("of 30 s");
        await Expect(quick.Status).ToHaveTextAsync("Succeeded");
        await Expect(page.RowsOf("fail").Status).ToHaveTextAsync("Failed");
        await Expect(slow.Status).ToHaveTextAsync("Running");

        await page.Page.ReloadAsync();

        await Expect(page.Rows).ToHaveCountAsync(4);
        await Expect(quick.Status).ToHaveTextAsync("Succeeded");
        await Expect(quick.Outcome).ToHaveTextAsync("Slept 1 s");
        await Expect(page.RowsOf("fail").Outcome).ToContainTextAsync("The job failed.");
        await Expect(page.RowsOf("primes").Outcome).ToHaveTextAsync("78,498 primes below 1,000,000; the largest is 999,983");
        await Expect(slow.Status).ToHaveTextAsync("Running");
        var progressAfterReload = await slow.ProgressMessage.TextContentAsync();
        await Expect(slow.ProgressMessage).Not.ToHaveTextAsync(progressAfterReload!);

        await slow.Cancel.ClickAsync();

        await Expect(slow.Status).ToHaveTextAsync("Canceled");
    }

    [Fact]
    public async Task WithoutServerSentEvents_ThePagePolls_AndShowsTheJobRunAndFinish()
    {
        await using var server = SampleServer.Start();
        await using var page = await JobsPage.OpenAsync(chromium.Browser, server.Address, tab =>
            tab.RouteAsync("**/api/jobs/events*", route => route.FulfillAsync(new() { Status = 404 })));

        await page.StartSleepJobsAsync(2);

        var sleep = page.RowsOf("sleep");
        await Expect(page.Connection).ToContainTextAsync("polling");
        await Expect(sleep.Status).ToHaveTextAsync("Succeeded");
        await Expect(sleep.Outcome).ToHaveTextAsync("Slept 2 s");
        await AssertSeenRunningAsync(page, sleep, "Succeeded");
    }

    [Fact]
    public async Task ServerSentEvents_ShowTheJobsTheyCarry()
    {
        // The events API's contract: "id", "event: status | progress | finished", "data: <the job's state>".
        var running = Guid.CreateVersion7().ToString();
        var finished = Guid.CreateVersion7().ToString();
        var stream = "retry: 600000\n\n"
            + Event("1", "status", JobState(running, "sleep", "Running", 0, null))
            + Event("2", "progress", JobState(running, "sleep", "Running", 0.4, "Slept 2 of 5 s"))
            + ": heartbeat\n\n"
            + Event("3", "finished", JobState(finished, "primes", "Succeeded", 1, "Sieved up to 10,000,000", new { below = 10_000_000, count = 664_579, largest = 9_999_991 }));
        await using var server = SampleServer.Start();
        await using var page = await JobsPage.OpenAsync(chromium.Browser, server.Address, tab =>
            tab.RouteAsync("**/api/jobs/events*", route => route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = stream })));

        await Expect(page.Connection).ToContainTextAsync("server-sent events");
        var sleep = page.RowsOf("sleep");
        await Expect(sleep.Status).ToHaveTextAsync("Running");
        await Expect(sleep.Progress).ToHaveAttributeAsync("aria-valuenow", "40");
        await Expect(sleep.ProgressMessage).ToHaveTextAsync("Slept 2 of 5 s");
        var primes = page.RowsOf("primes");
        await Expect(primes.Status).ToHaveTextAsync("Succeeded");
        await Expect(primes.Outcome).ToHaveTextAsync("664,579 primes below 10,000,000; the largest is 9,999,991");
    }

    [Fact]
    public async Task AStartTheServerRefuses_ShowsItsProblemDetails()
    {
        await using var server = SampleServer.Start();
        await using var page = await JobsPage.OpenAsync(chromium.Browser, server.Address);

        await page.StartSleepJobsAsync(0);

        await Expect(page.Problem).ToContainTextAsync("The sleep job was not started: The job's request is not valid.");
        await Expect(page.Problem).ToContainTextAsync("seconds: The field Seconds must be between 1 and 3600.");
        await Expect(page.Rows).ToHaveCountAsync(0);
    }

    /// <summary>The row's job was seen running before it showed <paramref name="finalStatus"/>.</summary>
    private static async Task AssertSeenRunningAsync(JobsPage page, JobRow row, string finalStatus)
    {
        var statuses = await page.StatusHistoryAsync(row);
        Assert.Contains("Running", statuses);
        Assert.Equal(finalStatus, statuses[^1]);
    }

    private static string Event(string id, string type, string data) => $"id: {id}\nevent: {type}\ndata: {data}\n\n";

    private static string JobState(string id, string kind, string status, double progress, string? progressMessage, object? result = null)
    {
        var now = DateTimeOffset.UtcNow;
        var finished = status is "Succeeded" or "Failed" or "Canceled";
        return JsonSerializer.Serialize(new
        {
            id,
            kind,
            status,
            progress,
            progressMessage,
            createdAt = now.AddSeconds(-3),
            startedAt = now.AddSeconds(-2),
            completedAt = finished ? now : (DateTimeOffset?)null,
            attempt = 1,
            maxAttempts = 1,
            cancellationRequested = false,
            error = (object?)null,
            statusUrl = $"/api/jobs/{id}",
            result,
        });
    }

    /// <summary>A percentage above 0 and below 100.</summary>
    [GeneratedRegex("^[1-9][0-9]?$")]
    private static partial Regex PartlyDone();
}
