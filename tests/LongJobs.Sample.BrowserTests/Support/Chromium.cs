using Microsoft.Playwright;

namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>
/// Headless Chromium from the machine's <c>chromium</c> package, driven by Playwright; one for all tests of a class.
/// Playwright's own browser download is never used.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? _playwright;

    /// <summary>The running browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            "Chromium is missing (no 'chromium' in /usr/bin or on PATH): install it with 'apt-get install -y chromium' as root "
            + "(./test.sh does so when run as root), then run the tests again.");

        // The longest a test waits for the page to show a change; jobs here take a few seconds.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Prepend("/usr/bin")
            .Select(folder => Path.Combine(folder, "chromium"))
            .FirstOrDefault(File.Exists);
}
