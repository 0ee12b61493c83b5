using Microsoft.Playwright;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// The jobs dashboard in its own browser context (1280×800, en-US): its overview, its job rows, a job's detail, and
/// every response of the first load (for the page's weight).
/// </summary>
internal sealed class DashboardPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<IResponse> _responses = [];

    private DashboardPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Response += (_, response) =>
        {
            // Raised on Playwright's thread while a test may be reading the list.
            lock (_responses)
            {
                _responses.Add(response);
            }
        };
    }

    /// <summary>The browser tab.</summary>
    public IPage Page { get; }

    /// <summary>The line that says how the page follows the jobs: server-sent events or polling.</summary>
    public ILocator Connection => Page.Locator("#connection");

    /// <summary>The error box (problem details from the server).</summary>
    public ILocator Problem => Page.GetByRole(AriaRole.Alert);

    /// <summary>All job rows of the list, newest first.</summary>
    public ILocator Rows => Page.GetByTestId("job-row");

    /// <summary>The queue's length in the overview.</summary>
    public ILocator QueueLength => Page.Locator("#queue-length");

    /// <summary>The chart of jobs finished per minute over the last hour; <c>data-total</c> is their number.</summary>
    public ILocator ThroughputChart => Page.GetByTestId("chart-throughput");

    /// <summary>The chart of failures per minute over the last hour; <c>data-total</c> is their number.</summary>
    public ILocator FailuresChart => Page.GetByTestId("chart-failures");

    /// <summary>The list's owner filter (administrators only).</summary>
    public ILocator OwnerFilter => Page.GetByLabel("Owner");

    /// <summary>The start of the list's creation time range.</summary>
    public ILocator CreatedFrom => Page.GetByLabel("Created from");

    /// <summary>The end of the list's creation time range.</summary>
    public ILocator CreatedTo => Page.GetByLabel("to", new() { Exact = true });

    /// <summary>The note that says no job matches the filters.</summary>
    public ILocator NoJobs => Page.Locator("#no-jobs");

    /// <summary>The rows of the nodes alive: name, running jobs, started, last heartbeat.</summary>
    public ILocator Nodes => Page.GetByTestId("node-row");

    /// <summary>The detail view of one job.</summary>
    public JobDetail Detail => new(Page.Locator("#detail-view"));

    /// <summary>The responses the page has had so far.</summary>
    public IReadOnlyList<IResponse> Responses
    {
        get
        {
            lock (_responses)
            {
                return [.. _responses];
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/>; <paramref name="headers"/> go with every request (the secured app's user);
    /// <paramref name="beforeLoad"/> can route requests before the page's first one.
    /// </summary>
    public static async Task<DashboardPage> OpenAsync(IBrowser browser, Uri url, IDictionary<string, string>? headers = null, Func<IPage, Task>? beforeLoad = null)
    {
        var context = await browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            Locale = "en-US",
            ColorScheme = ColorScheme.Light,
            ExtraHTTPHeaders = headers,
        });
        var tab = await context.NewPageAsync();
        var page = new DashboardPage(context, tab);
        if (beforeLoad is not null)
        {
            await beforeLoad(tab);
        }

        await tab.GotoAsync(url.ToString());
        return page;
    }

    /// <summary>The count of <paramref name="status"/> in the overview.</summary>
    public ILocator Count(string status) => Page.GetByTestId($"count-{status}");

    /// <summary>The overview's row of one kind: its name, total, and one cell per status.</summary>
    public ILocator KindRow(string kind) => Page.Locator($"[data-testid=kind-row][data-kind='{kind}']");

    /// <summary>The claims cell of a kind's row: whether it is paused ("Paused", "Active").</summary>
    public ILocator KindPaused(string kind) => KindRow(kind).GetByTestId("kind-paused");

    /// <summary>The Pause button of a kind's row (operators only).</summary>
    public ILocator PauseKind(string kind) => KindRow(kind).GetByTestId("kind-pause");

    /// <summary>The Resume button of a paused kind's row (operators only).</summary>
    public ILocator ResumeKind(string kind) => KindRow(kind).GetByTestId("kind-resume");

    /// <summary>The notice that says what an action did (such as the retry it started).</summary>
    public ILocator Notice => Page.GetByTestId("notice");

    /// <summary>The list's row of one job.</summary>
    public JobRow Row(Guid id) => new(Page.Locator($"[data-testid=job-row][data-job-id='{id}']"));

    /// <summary>Types the job's ID in the search box and opens its detail.</summary>
    public async Task SearchAsync(Guid id)
    {
        await Page.GetByLabel("Job ID").FillAsync(id.ToString());
        await Page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
    }

    /// <summary>Saves a screenshot of the whole page to <paramref name="path"/>, with the mouse out of the way.</summary>
    public async Task ScreenshotAsync(string path)
    {
        await Page.Mouse.MoveAsync(0, 0);
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}

/// <summary>A job row of the list, with its cells.</summary>
internal sealed record JobRow(ILocator Locator)
{
    /// <summary>The status.</summary>
    public ILocator Status => Locator.GetByTestId("job-status");

    /// <summary>The progress bar; <c>aria-valuenow</c> is the percentage.</summary>
    public ILocator Progress => Locator.GetByTestId("job-progress");

    /// <summary>The progress message, or the error's title.</summary>
    public ILocator Message => Locator.GetByTestId("job-progress-message");

    /// <summary>The Cancel button.</summary>
    public ILocator Cancel => Locator.GetByTestId("job-cancel");

    /// <summary>The Retry button (a failed or cancelled job, for operators).</summary>
    public ILocator Retry => Locator.GetByTestId("job-retry");

    /// <summary>The link to the job's detail.</summary>
    public ILocator Link => Locator.GetByRole(AriaRole.Link);
}

/// <summary>The detail view of one job.</summary>
internal sealed record JobDetail(ILocator Locator)
{
    public ILocator Title => Locator.GetByRole(AriaRole.Heading, new() { Level = 2 });

    public ILocator Kind => Locator.GetByTestId("detail-kind");

    public ILocator Status => Locator.GetByTestId("detail-status");

    public ILocator Progress => Locator.GetByTestId("detail-progress");

    public ILocator ProgressMessage => Locator.GetByTestId("detail-progress-message");

    public ILocator Request => Locator.GetByTestId("detail-request");

    /// <summary>The result, or the problem of a failed job.</summary>
    public ILocator Outcome => Locator.GetByTestId("detail-result");

    public ILocator OutcomeTitle => Locator.Locator("#detail-outcome-title");

    public ILocator Cancel => Locator.GetByTestId("detail-cancel");

    public ILocator Retry => Locator.GetByTestId("detail-retry");

    /// <summary>The link to the job this one retries, or a dash.</summary>
    public ILocator RetryOf => Locator.GetByTestId("detail-retry-of");

    /// <summary>The rows of the attempts' table, the first attempt first.</summary>
    public ILocator Attempts => Locator.GetByTestId("detail-attempt-row");

    /// <summary>The job's log lines, oldest first.</summary>
    public ILocator LogLines => Locator.GetByTestId("detail-log-line");
}
