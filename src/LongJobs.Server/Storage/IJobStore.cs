namespace LongJobs.Server.Storage;

/// <summary>
/// Holds the state of every job: what the REST API reads and what the executor writes, and the queue of jobs of
/// registered kinds. Implementations may be shared by many server instances, so every change is a single guarded
/// operation on the stored state (it happens only when the job is in the expected status and attempt) and nothing
/// in the contract refers to in-process objects such as tasks or delegates. A store implements this aggregate of its
/// roles, each a small interface: <see cref="IJobRecords"/>, <see cref="IQueuedJobs"/>, <see cref="IScheduledJobs"/>, <see cref="IKindPauses"/>, <see cref="IJobSchedules"/>, <see cref="IJobAttempts"/>,
/// <see cref="IJobHistory"/>,
/// <see cref="IJobChangeFeed"/>, <see cref="IJobDeliveryLog"/>, <see cref="IJobOutbox"/>, <see cref="IJobRetention"/> and
/// <see cref="IJobStoreDurability"/>, <see cref="IJobStatistics"/>, <see cref="IJobNodes"/>. Dependency injection registers the store as this interface and as each role, all
/// the same instance; each part of LongJobs takes only the roles it uses.
/// </summary>
public interface IJobStore : IJobRecords, IQueuedJobs, IScheduledJobs, IKindPauses, IJobSchedules, IJobAttempts, IJobHistory, IJobChangeFeed, IJobDeliveryLog, IJobOutbox, IJobRetention, IJobStoreDurability, IJobStatistics, IJobNodes
{
}
