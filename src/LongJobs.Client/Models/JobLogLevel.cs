using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>The level of a job's log line.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobLogLevel>))]
public enum JobLogLevel
{
    /// <summary>The most detailed messages.</summary>
    Trace,

    /// <summary>Messages for debugging.</summary>
    Debug,

    /// <summary>The general flow of the job.</summary>
    Information,

    /// <summary>Something unexpected that did not stop the job.</summary>
    Warning,

    /// <summary>A failure of the current step.</summary>
    Error,

    /// <summary>A failure that needs immediate attention.</summary>
    Critical,
}
