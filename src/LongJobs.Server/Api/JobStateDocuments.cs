using LongJobs.Server.Notifications;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Api;

/// <summary>The REST API's document of a job's state, <see cref="JobState"/>, for the webhooks that post it.</summary>
internal sealed class JobStateDocuments : IJobStateDocuments
{
    public object Of(JobRecord job, string statusUrl) => JobState.Of(job.ToSnapshot(), statusUrl);
}
