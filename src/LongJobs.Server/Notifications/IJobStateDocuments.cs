using LongJobs.Server.Storage;

namespace LongJobs.Server.Notifications;

/// <summary>
/// A job's state as the REST API's <c>GET {prefix}/{id}</c> answers it: what a webhook posts, so its receiver reads
/// what a client would. The API provides it; notifications, below the API, only send it.
/// </summary>
internal interface IJobStateDocuments
{
    /// <summary>The document of <paramref name="job"/>'s state.</summary>
    /// <param name="job">The job's state.</param>
    /// <param name="statusUrl">The job's status URL, as the document shows it.</param>
    /// <returns>The document, to serialise (as its runtime type) with the API's JSON options.</returns>
    object Of(JobRecord job, string statusUrl);
}
