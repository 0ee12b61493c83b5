using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Api;

/// <summary>
/// The handlers behind <c>MapLongJobs</c>, one file per idea: starting (<c>JobsApi.Start.cs</c>), reading and waiting
/// (<c>JobsApi.Read.cs</c>), a job's history (<c>JobsApi.History.cs</c>), cancelling and deleting (<c>JobsApi.CancelAndDelete.cs</c>), listing
/// (<c>JobsApi.List.cs</c>). Every error is RFC 9457 problem details. A job with an owner is its owner's (and
/// administrators'): to anyone else it is unknown (404, as for an ID that does not exist), and absent from lists. Every
/// response with one job's state carries its <c>ETag</c> (<see cref="JobETags"/>).
/// </summary>
internal sealed partial class JobsApi(
    string prefix,
    JobKindRegistry kinds,
    IJobRecords store,
    IJobHistory history,
    IJobScheduler scheduler,
    IRegisteredJobStarter starter,
    JobAccess access,
    LongJobsOptions options,
    JobWaits waits,
    JobNotFound notFound,
    INotificationChannel[] channels,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The job's state without its result, with its status URL under this API's prefix.</summary>
    private JobInfo ToInfo(JobSnapshot job, HttpContext context) => JobInfo.From(job, StatusUrl(job.Id, context));

    private string StatusUrl(Guid id, HttpContext context) => $"{context.Request.PathBase}{prefix}/{id}";

    /// <summary>The longest <c>Retry-After</c> suggested for a job started for later: a client looks at least this often.</summary>
    internal static readonly TimeSpan MaxScheduledRetryAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// Sets the headers of a response about <paramref name="job"/>'s state: its <c>ETag</c>, and while it is unfinished
    /// <c>Retry-After</c>, when to ask again: the polling interval, or for a job started for later the time until it is
    /// due (at most <see cref="MaxScheduledRetryAfter"/>), as nothing happens to it before.
    /// </summary>
    private void SetStateHeaders(JobSnapshot job, HttpContext context)
    {
        context.Response.Headers.ETag = JobETags.Of(job.Version);
        if (!job.Status.IsFinished())
        {
            var retryAfter = options.SuggestedPollingInterval;
            if (job is { Status: JobStatus.Scheduled, NotBefore: { } notBefore } && notBefore - time.GetUtcNow() is var untilDue && untilDue > retryAfter)
            {
                retryAfter = untilDue < MaxScheduledRetryAfter ? untilDue : MaxScheduledRetryAfter;
            }

            context.Response.Headers.RetryAfter = JobProblems.Seconds(retryAfter);
        }
    }
}
