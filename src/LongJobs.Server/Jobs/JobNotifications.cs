using System.Text.Json.Serialization;

namespace LongJobs.Server.Jobs;

/// <summary>Who to tell when a job finishes, as asked for when it was started.</summary>
public sealed record JobNotifications
{
    /// <summary>The absolute URL to POST the job's final state to (a webhook), or <see langword="null"/>.</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>The address to email the job's outcome to, or <see langword="null"/>.</summary>
    public string? Email { get; init; }

    /// <summary>Whether anyone asked to be told.</summary>
    [JsonIgnore]
    public bool IsEmpty => CallbackUrl is null && Email is null;
}
