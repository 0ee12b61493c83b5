using System.Text.Json;
using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>A job's state with its result as raw JSON; <see cref="JobOperation{TResult}"/> turns it into a typed result.</summary>
public class JobState : JobInfo
{
    /// <summary>The job's result once it has succeeded.</summary>
    [JsonPropertyName("result")]
    public JsonElement? Result { get; set; }
}
