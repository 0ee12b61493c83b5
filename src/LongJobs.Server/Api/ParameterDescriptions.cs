namespace LongJobs.Server.Api;

/// <summary>
/// What the OpenAPI document says about the jobs API's parameters: on the handlers' parameters as
/// <see cref="System.ComponentModel.DescriptionAttribute"/>, which needs constants (the wait limit is
/// <see cref="JobWaits.MaxSeconds"/>). Operations and responses are described by the handlers' XML documentation
/// (summary, remarks, response), which NSwag reads.
/// </summary>
internal static class ParameterDescriptions
{
    public const string Id = "The job's ID, as the response that started it gave it (a GUID).";

    public const string Wait = "Long-poll: how many seconds to wait (at most 60) before answering. Without If-None-Match the answer comes when the job finishes; with it, at the job's next change (progress or end). Same as 'Prefer: wait=N'; this parameter wins when both are sent.";

    public const string PreferOnRead = "RFC 7240 preferences; 'wait=N' asks for a long-poll of N seconds (at most 60), like the 'wait' parameter. 'Preference-Applied: wait=N' in the response says the server waited.";

    public const string PreferOnStart = "RFC 7240 preferences; 'wait=N' (at most 60) asks the server to wait up to N seconds for the job to finish: it then answers 200 with the final typed state instead of 202, with 'Preference-Applied: wait=N' when it waited.";

    public const string IfNoneMatch = "The ETag of the job's state the caller has (one or more, or '*'; weak comparison). When it is still current: 304 Not Modified at once, or with a wait, the job's next change (progress or end) as soon as it happens and 304 if none comes in time. A finished job whose ETag matches answers 304 at once.";

    public const string IdempotencyKey = "Makes the request safe to repeat (IETF httpapi Idempotency-Key draft): 1 to 255 visible ASCII characters, bare or in double quotes. The same key with the same body answers with the job it started first; with another body, 422. A key lasts as long as its job, and each caller has their own keys.";

    public const string CallbackUrl = "An absolute URL to POST the job's final state to when it finishes (a webhook signed with HMAC-SHA256); its host must be on the server's allow-list.";

    public const string NotifyEmail = "An email address to tell when the job finishes; it must be allowed by the server's recipient rules.";

    public const string NotBefore = "Starts the job for later: the earliest time it may run, an RFC 3339 date and time with its offset (2026-12-24T18:00:00Z). The job is 'Scheduled' until then; a time not in the future starts it now. Not with LongJobs-Delay.";

    public const string Priority = "The job's own priority instead of its kind's: a whole number from -1000 to 1000, higher claimed first; each level puts the job ahead of jobs one level below created up to a minute before it.";

    public const string Delay = "Starts the job for later: how many whole seconds from now (by the server's clock) it may run, from 0 to 316224000. The job is 'Scheduled' until then. Not with LongJobs-Not-Before.";

    public const string Status = "Only jobs in this status: Queued, Running, Succeeded, Failed, Canceled or Scheduled.";

    public const string KindName = "A registered job kind's name (in any case).";

    public const string ScheduleName = "A recurring schedule's name, as added to its kind.";

    public const string Kind = "Only jobs of this kind (a registered kind's name, or an ad-hoc job's).";

    public const string PageSize = "How many jobs a page holds, from 1 to 100; 20 when absent.";

    public const string Owner = "Administrators only: only jobs of this owner (the identifier of the principal that started them). Another caller may name only themselves; any other owner is 403.";

    public const string CreatedAfter = "Only jobs created at or after this instant: an RFC 3339 date and time with its offset, such as 2026-12-24T18:00:00Z.";

    public const string CreatedBefore = "Only jobs created before this instant: an RFC 3339 date and time with its offset; after 'createdAfter' when both are sent.";

    public const string PageToken = "The 'nextPageToken' of the previous page, to read the next one; absent for the first page.";
}
