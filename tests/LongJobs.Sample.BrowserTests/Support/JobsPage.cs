using System.Globalization;
using Microsoft.Playwright;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// The live job page in its own browser context (1280×800, en-US): its controls, its rows, and every status each
/// row has shown, so a test can tell a job was seen running without racing the page.
/// </summary>
internal sealed class JobsPage : IAsyncDisposable
{
    /// <summary>Records, per job ID, the statuses its row has shown, in order, in <c>window.jobStatusHistory</c>.</summary>
    private const string RecordStatuses = """
        window.jobStatusHistory = {};
        new MutationObserver(() => {
          for (const row of document.querySelectorAll('[data-testid=job-row]')) {
            const status = row.querySelector('[data-testid=job-status]').textContent;
            const seen = (window.jobStatusHistory[row.dataset.jobId] ??= []);
            if (seen.at(-1) !== status) {
              seen.push(status);
            }
          }
        }).observe(document, { subtree: true, childList: true, characterData: true });
        """;

    private readonly IBrowserContext _context;

    private JobsPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
    }

    /// <summary>The browser tab.</summary>
    public IPage Page { get; }

    /// <summary>The line that says how the page follows the jobs: server-sent events or polling.</summary>
    public ILocator Connection => Page.Locator("#connection");

    /// <summary>The error box (a problem returned by the API).</summary>
    public ILocator Problem => Page.GetByRole(AriaRole.Alert);

    /// <summary>All job rows, newest first.</summary>
    public ILocator Rows => Page.GetByTestId("job-row");

    /// <summary>
    /// Opens the page at <paramref name="address"/>; <paramref name="beforeLoad"/> can route requests before the
    /// page's first one.
    /// </summary>
    public static async Task<JobsPage> OpenAsync(IBrowser browser, Uri address, Func<IPage, Task>? beforeLoad = null)
    {
        var context = await browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            Locale = "en-US",
            ColorScheme = ColorScheme.Light,
        });
        await context.AddInitScriptAsync(RecordStatuses);
        var page = await context.NewPageAsync();
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }

        await page.GotoAsync(address.ToString());
        return new JobsPage(context, page);
    }

    /// <summary>The rows of jobs of one kind, newest first.</summary>
    public JobRow RowsOf(string kind) => new(Page.Locator($"[data-testid=job-row][data-kind='{kind}']"));

    /// <summary>Types <paramref name="seconds"/> and how many jobs, and clicks "Start sleep job".</summary>
    public async Task StartSleepJobsAsync(int seconds, int count = 1)
    {
        await FillAsync("How many", count);
        await StartAsync("Seconds", seconds, "Start sleep job");
    }

    /// <summary>Types <paramref name="seconds"/>, one job, and clicks "Start failing job".</summary>
    public async Task StartFailingJobAsync(int seconds)
    {
        await FillAsync("How many", 1);
        await StartAsync("Seconds", seconds, "Start failing job");
    }

    /// <summary>Types <paramref name="below"/> and clicks "Count primes".</summary>
    public Task CountPrimesAsync(int below) => StartAsync("Below", below, "Count primes");

    /// <summary>Every status the row of <paramref name="row"/>'s job has shown since the page was loaded, in order.</summary>
    public async Task<string[]> StatusHistoryAsync(JobRow row)
    {
        var id = await row.Locator.GetAttributeAsync("data-job-id");
        return await Page.EvaluateAsync<string[]>("id => window.jobStatusHistory[id] ?? []", id);
    }

    /// <summary>Saves a screenshot of the whole page to <paramref name="path"/>, with the mouse out of the way.</summary>
    public async Task ScreenshotAsync(string path)
    {
        await Page.Mouse.MoveAsync(0, 0);
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    private async Task StartAsync(string field, int value, string button)
    {
        await FillAsync(field, value);
        await Page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
    }

    private Task FillAsync(string label, int value) =>
        Page.GetByLabel(label, new() { Exact = true }).FillAsync(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>A job row (or the rows a locator matches) with its cells.</summary>
internal sealed record JobRow(ILocator Locator)
{
    /// <summary>The status badge.</summary>
    public ILocator Status => Locator.GetByTestId("job-status");

    /// <summary>The progress bar; <c>aria-valuenow</c> is the percentage.</summary>
    public ILocator Progress => Locator.GetByTestId("job-progress");

    /// <summary>The progress message under the bar.</summary>
    public ILocator ProgressMessage => Locator.GetByTestId("job-progress-message");

    /// <summary>The result or the error.</summary>
    public ILocator Outcome => Locator.GetByTestId("job-outcome");

    /// <summary>The Cancel button.</summary>
    public ILocator Cancel => Locator.GetByTestId("job-cancel");

    /// <summary>The row at <paramref name="index"/>, newest first.</summary>
    public JobRow Nth(int index) => new(Locator.Nth(index));

    /// <summary>The rows whose text contains <paramref name="text"/>.</summary>
    public JobRow WithText(string text) => new(Locator.Filter(new() { HasText = text }));
}
