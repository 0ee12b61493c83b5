namespace LongJobs.Client.Tests.Support;

/// <summary>Safety limits, so a bug fails a test instead of hanging it; nothing waits for them to pass.</summary>
internal static class TestTimeouts
{
    /// <summary>The longest a test waits for a signal or a call that should come at once.</summary>
    public static readonly TimeSpan Signal = TimeSpan.FromSeconds(30);
}
