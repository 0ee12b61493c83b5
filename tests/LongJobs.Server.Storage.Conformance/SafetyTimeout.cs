namespace LongJobs.Server.Storage.Conformance;

/// <summary>Bounds every wait in the suite, so a store bug fails the test instead of hanging the run.</summary>
internal static class SafetyTimeout
{
    /// <summary>Far longer than any awaited change takes when the store works, also over a network.</summary>
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(30);

    public static Task WithSafetyTimeout(this Task task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this Task<T> task) => task.WaitAsync(Value);

    public static Task<T> WithSafetyTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Value);
}
