using System.Collections.Concurrent;

namespace LongJobs.Server.Tests.Support;

/// <summary>Catches the exceptions of tasks nobody awaited, which only a garbage collection brings out.</summary>
internal static class UnobservedTaskExceptions
{
    /// <summary>
    /// Runs <paramref name="run"/>, then collects garbage until finalizers have run; returns the unobserved task
    /// exceptions meanwhile that mention <paramref name="marker"/> (other tests' tasks may be collected at the same time).
    /// </summary>
    public static async Task<IReadOnlyCollection<Exception>> DuringAsync(string marker, Func<Task> run)
    {
        var unobserved = new ConcurrentBag<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs args)
        {
            if (args.Exception.Flatten().InnerExceptions.Any(exception => exception.ToString().Contains(marker, StringComparison.Ordinal)))
            {
                unobserved.Add(args.Exception);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await run();
            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            return unobserved;
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }
}
