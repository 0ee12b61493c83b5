using System.Text.Json.Serialization;

namespace LongJobs.Client.Models;

/// <summary>One job of a batch start: its request, and what a single start sends in headers.</summary>
/// <typeparam name="TRequest">The job kind's request type.</typeparam>
public class JobBatchItem<TRequest>
{
    /// <summary>The job's request.</summary>
    [JsonPropertyName("request")]
    public required TRequest Request { get; set; }

    /// <summary>
    /// Makes the item safe to repeat: the server answers a repeated item with the same key and request with the job the
    /// key first started. 1 to 255 visible ASCII characters.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the client gives the item a new key, kept across retries of the batch.</value>
    [JsonPropertyName("idempotencyKey")]
    public string? IdempotencyKey { get; set; }

    /// <summary>An absolute URL the server POSTs the job's final state to when it finishes (a signed webhook).</summary>
    /// <value>The default value is <see langword="null"/>: no webhook.</value>
    [JsonPropertyName("callbackUrl")]
    public Uri? CallbackUrl { get; set; }

    /// <summary>An email address the server tells when the job finishes.</summary>
    /// <value>The default value is <see langword="null"/>: no email.</value>
    [JsonPropertyName("notifyEmail")]
    public string? NotifyEmail { get; set; }

    /// <summary>The job's own priority instead of its kind's, from -1000 to 1000: higher is claimed first.</summary>
    /// <value>The default value is <see langword="null"/>: the kind's priority.</value>
    [JsonPropertyName("priority")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Priority { get; set; }
}
