namespace LongJobs.Client.Http;

/// <summary>The headers of the jobs API that the client sends or reads.</summary>
internal static class JobHeaders
{
    /// <summary>Makes a start safe to repeat (IETF httpapi Idempotency-Key draft).</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>Asks for a webhook to this URL when the job finishes.</summary>
    public const string CallbackUrl = "LongJobs-Callback-Url";

    /// <summary>Asks for an email to this address when the job finishes.</summary>
    public const string NotifyEmail = "LongJobs-Notify-Email";

    /// <summary>The earliest time a job may run, RFC 3339.</summary>
    public const string NotBefore = "LongJobs-Not-Before";

    /// <summary>How many seconds from now a job may run.</summary>
    public const string Delay = "LongJobs-Delay";

    /// <summary>A job's own priority.</summary>
    public const string Priority = "LongJobs-Priority";

    /// <summary>On a start's answer: no job was started, the answer is the unfinished job that holds the request's unique key.</summary>
    public const string Deduplicated = "LongJobs-Deduplicated";

    /// <summary>RFC 7240 preferences, here <c>wait=N</c>.</summary>
    public const string Prefer = "Prefer";
}
