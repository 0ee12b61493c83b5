namespace LongJobs.Server.Tests.Support;

/// <summary>Bounds every wait in a test, so a bug fails the test instead of hanging the run.</summary>
public static class SafetyTimeout
{
    /// <summary>Far longer than any awaited signal takes when the code works.</summary>
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(30);

    public static Task WithSafetyTimeout(this Task task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this Task<T> task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Value);
}
