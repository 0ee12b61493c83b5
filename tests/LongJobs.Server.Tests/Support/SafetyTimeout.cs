namespace LongJobs.Server.Tests.Support;

/// <summary>Bounds every wait in a test, so a bug fails the test instead of hanging the run.</summary>
public static class SafetyTimeout
{
    /// <summary>
    /// Far longer than any awaited signal takes when the code works, also on a machine loaded many times over (a CI
    /// host running other builds): it only bounds how long a broken test hangs, and a passing test never waits it out.
    /// </summary>
    public static readonly TimeSpan Value = TimeSpan.FromMinutes(2);

    public static Task WithSafetyTimeout(this Task task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this Task<T> task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Value);
}
