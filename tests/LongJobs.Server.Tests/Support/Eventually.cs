namespace LongJobs.Server.Tests.Support;

/// <summary>For state with no signal to await (counters of open resources): checks a condition until it holds.</summary>
internal static class Eventually
{
    /// <summary>Checks <paramref name="condition"/> every few milliseconds until it holds; fails after the safety timeout.</summary>
    public static async Task TrueAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow + SafetyTimeout.Value;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Delay(5);
        }
    }
}
