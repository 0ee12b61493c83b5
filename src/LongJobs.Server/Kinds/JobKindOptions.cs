namespace LongJobs.Server.Kinds;

/// <summary>Settings of one job kind, given when it is registered with <c>AddJob</c>.</summary>
public sealed class JobKindOptions
{
    /// <summary>How often a job of the kind may run, and when it runs again.</summary>
    public JobRetryOptions Retry { get; } = new();
}
