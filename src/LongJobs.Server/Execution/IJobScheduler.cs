using System.Diagnostics.CodeAnalysis;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution;

/// <summary>
/// Starts jobs and cancels them. Jobs run in the background with bounded concurrency; their state is kept in
/// the <see cref="IJobStore"/>, where the REST API reads it. Jobs of registered kinds wait in the store's queue,
/// from which any server sharing the store may run them; ad-hoc jobs run on the server that started them.
/// </summary>
public interface IJobScheduler
{
    /// <summary>Starts an ad-hoc job of kind <c>ad-hoc</c> that returns a result.</summary>
    /// <typeparam name="TResult">The result's type; it must be JSON-serialisable.</typeparam>
    /// <param name="work">The work; it should honour its cancellation token.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The job: running when a slot was free, queued otherwise.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob<TResult>> StartAsync<TResult>(Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default);

    /// <summary>Starts an ad-hoc job that returns a result, under a kind name of your choice.</summary>
    /// <typeparam name="TResult">The result's type; it must be JSON-serialisable.</typeparam>
    /// <param name="kind">A name that shows in the job's state; not the name of a registered kind.</param>
    /// <param name="work">The work; it should honour its cancellation token.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The job: running when a slot was free, queued otherwise.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob<TResult>> StartAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default);

    /// <summary>Starts an ad-hoc job of kind <c>ad-hoc</c> that returns no result.</summary>
    /// <param name="work">The work; it should honour its cancellation token.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The job: running when a slot was free, queued otherwise.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob> StartAsync(Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default);

    /// <summary>Starts an ad-hoc job that returns no result, under a kind name of your choice.</summary>
    /// <param name="kind">A name that shows in the job's state; not the name of a registered kind.</param>
    /// <param name="work">The work; it should honour its cancellation token.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The job: running when a slot was free, queued otherwise.</returns>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob> StartAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default);

    /// <summary>Starts a job of a registered kind.</summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="request">The kind's request; it is validated with its data annotations.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>
    /// The queued job; its runtime type is <see cref="LongRunningJob{TResult}"/> of the kind's result. Its task
    /// completes when the job finishes on whichever server runs it; if this server stops first, the task is
    /// cancelled (on a durable store the job itself goes on, on the next server).
    /// </returns>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The request is not valid.</exception>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob> StartKindAsync(string kind, object request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a job of a registered kind that runs not before <paramref name="notBefore"/>: until then it is
    /// <see cref="JobStatus.Scheduled"/> (it can be cancelled, awaited and listed), then queued like any other job; any
    /// server sharing the store queues it when it comes due. A time not in the future starts it now.
    /// </summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="request">The kind's request; it is validated with its data annotations.</param>
    /// <param name="notBefore">The earliest time the job may run.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The scheduled job; as <see cref="StartKindAsync"/> returns one.</returns>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The request is not valid.</exception>
    /// <exception cref="JobRejectedException">The host is stopping (or, for a time not in the future, the queue is full).</exception>
    Task<LongRunningJob> ScheduleKindAsync(string kind, object request, DateTimeOffset notBefore, CancellationToken cancellationToken = default);

    /// <summary>Starts a job of a registered kind that runs after <paramref name="delay"/>, by this server's clock; see <see cref="ScheduleKindAsync(string, object, DateTimeOffset, CancellationToken)"/>.</summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="request">The kind's request; it is validated with its data annotations.</param>
    /// <param name="delay">How long to wait before the job may run; zero starts it now.</param>
    /// <param name="cancellationToken">Cancels starting the job, not the job itself.</param>
    /// <returns>The scheduled job; as <see cref="StartKindAsync"/> returns one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The request is not valid.</exception>
    /// <exception cref="JobRejectedException">The host is stopping (or, for a zero delay, the queue is full).</exception>
    Task<LongRunningJob> ScheduleKindAsync(string kind, object request, TimeSpan delay, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts many jobs of one registered kind at once: every request is validated first, and none is queued unless
    /// all are valid and the queue has room for all of them; then they are stored together (in as few statements as the
    /// store can) and the queue is claimed from once.
    /// </summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="requests">The kind's requests, one job each; each is validated with its data annotations.</param>
    /// <param name="cancellationToken">Cancels starting the jobs, not the jobs themselves.</param>
    /// <returns>
    /// The queued jobs, in the order of <paramref name="requests"/>; each as <see cref="StartKindAsync"/> returns one.
    /// </returns>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">A request is not valid; its message names the request's index. No job is queued.</exception>
    /// <exception cref="JobRejectedException">The queue has no room for all the jobs, or the host is stopping. No job is queued.</exception>
    Task<IReadOnlyList<LongRunningJob>> StartManyAsync(string kind, IEnumerable<object> requests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses a registered kind on every server sharing the store: its queued jobs wait and none of them is claimed until
    /// it is resumed; its running jobs finish, and new jobs of it are still accepted (they wait too).
    /// </summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The kind's pause: this one, or the earlier one when it was paused already.</returns>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    Task<KindPause> PauseKindAsync(string kind, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused kind: its queued jobs are claimed again, on every server sharing the store.</summary>
    /// <param name="kind">The name the kind was registered under.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the kind was paused.</returns>
    /// <exception cref="KeyNotFoundException">No kind is registered under <paramref name="kind"/>.</exception>
    Task<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default);

    /// <summary>Reads the paused kinds, on every server sharing the store.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The paused kinds by name, each with the time it was paused.</returns>
    Task<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the recurring schedules (<c>JobKindOptions.AddSchedule</c>) with their next and last run, as every server sharing the store sees them.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schedules, by name.</returns>
    Task<IReadOnlyList<JobSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses a recurring schedule on every server sharing the store: none of its occurrences starts until it is resumed,
    /// and those due meanwhile are not caught up. Jobs it started already are not touched.
    /// </summary>
    /// <param name="schedule">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schedule, paused.</returns>
    /// <exception cref="KeyNotFoundException">No schedule of that name is added to a registered kind.</exception>
    Task<JobSchedule> PauseScheduleAsync(string schedule, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused schedule: its next occurrence after now starts as usual. Resuming a schedule not paused changes nothing.</summary>
    /// <param name="schedule">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schedule, running.</returns>
    /// <exception cref="KeyNotFoundException">No schedule of that name is added to a registered kind.</exception>
    Task<JobSchedule> ResumeScheduleAsync(string schedule, CancellationToken cancellationToken = default);

    /// <summary>Asks a job to stop. A queued job is cancelled at once; a running job's token is signalled.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The job's state after the request, or <see langword="null"/> when the job is unknown.</returns>
    Task<JobSnapshot?> CancelAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retries a job that <see cref="JobStatus.Failed"/> or was <see cref="JobStatus.Canceled"/>: starts a new job of the
    /// same kind, request, owner and priority, whose <see cref="JobSnapshot.RetryOf"/> names it. The retried job stays as it
    /// ended (its result, events and notifications are final). A job is retried at most once while its retry is kept:
    /// asking again, from this server or another, answers with the same retry (to retry again, retry the retry).
    /// </summary>
    /// <param name="id">The ID of the job to retry.</param>
    /// <param name="cancellationToken">Cancels starting the retry, not the retry itself.</param>
    /// <returns>
    /// The retry, queued (or the retry started earlier; or, for a kind whose jobs are unique, the unfinished job that holds
    /// the request's key, as a start would answer); <see langword="null"/> when no job has that ID.
    /// </returns>
    /// <exception cref="InvalidOperationException">The job has not failed or been cancelled, or it is an ad-hoc job (it has no request to run again).</exception>
    /// <exception cref="KeyNotFoundException">The job's kind is not registered on this server.</exception>
    /// <exception cref="JobRejectedException">The queue is full or the host is stopping.</exception>
    Task<LongRunningJob?> RetryAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Finds a job this server runs, or an ad-hoc job waiting in its queue.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="job">The job, when found.</param>
    /// <returns>Whether the job runs or waits here.</returns>
    bool TryGetActiveJob(Guid id, [NotNullWhen(true)] out LongRunningJob? job);

    /// <summary>The jobs this server runs, and the ad-hoc jobs waiting in its queue.</summary>
    /// <returns>A snapshot of the active jobs.</returns>
    IReadOnlyList<LongRunningJob> GetActiveJobs();
}
