using System.Diagnostics.CodeAnalysis;
using System.Net;
using LongJobs.Server.Execution;
using LongJobs.Server.Execution.Scheduling;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>The REST API depends on interfaces: an application's own <see cref="IJobScheduler"/> is the one it uses.</summary>
public sealed class SchedulerReplacementTests
{
    [Fact]
    public async Task AnApplicationsOwnScheduler_IsTheOneTheRestApiCancelsJobsWith()
    {
        await using var api = await TestApi.StartAsync(addServices: services => services
            .AddSingleton<CountingScheduler>()
            .AddSingleton<IJobScheduler>(provider => provider.GetRequiredService<CountingScheduler>()));
        var counting = api.App.Services.GetRequiredService<CountingScheduler>();
        var id = await api.StartGatedAsync("replaced");

        using var response = await api.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([id], counting.Cancelled);
    }

    [Fact]
    public async Task AnApplicationsOwnScheduler_ThatAlsoStartsRegisteredJobs_IsTheOneTheRestApiStartsThemWith()
    {
        await using var api = await TestApi.StartAsync(addServices: services => services
            .AddSingleton<StartingScheduler>()
            .AddSingleton<IJobScheduler>(provider => provider.GetRequiredService<StartingScheduler>()));
        var starting = api.App.Services.GetRequiredService<StartingScheduler>();

        var id = await api.StartGatedAsync("replaced");

        Assert.Equal([id], starting.Started);
        api.Gates["replaced"].Release();
    }

    /// <summary>An application's scheduler that counts cancellations and hands everything to LongJobs' own.</summary>
    internal class CountingScheduler(JobScheduler inner) : IJobScheduler
    {
        private readonly List<Guid> _cancelled = [];

        public IReadOnlyList<Guid> Cancelled
        {
            get
            {
                lock (_cancelled)
                {
                    return [.. _cancelled];
                }
            }
        }

        protected JobScheduler Inner => inner;

        public Task<LongRunningJob<TResult>> StartAsync<TResult>(Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) => inner.StartAsync(work, cancellationToken);

        public Task<LongRunningJob<TResult>> StartAsync<TResult>(string kind, Func<JobContext, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default) => inner.StartAsync(kind, work, cancellationToken);

        public Task<LongRunningJob> StartAsync(Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) => inner.StartAsync(work, cancellationToken);

        public Task<LongRunningJob> StartAsync(string kind, Func<JobContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) => inner.StartAsync(kind, work, cancellationToken);

        public Task<LongRunningJob> StartKindAsync(string kind, object request, CancellationToken cancellationToken = default) => inner.StartKindAsync(kind, request, cancellationToken);

        public Task<LongRunningJob> ScheduleKindAsync(string kind, object request, DateTimeOffset notBefore, CancellationToken cancellationToken = default) => inner.ScheduleKindAsync(kind, request, notBefore, cancellationToken);

        public Task<LongRunningJob> ScheduleKindAsync(string kind, object request, TimeSpan delay, CancellationToken cancellationToken = default) => inner.ScheduleKindAsync(kind, request, delay, cancellationToken);

        public Task<IReadOnlyList<LongRunningJob>> StartManyAsync(string kind, IEnumerable<object> requests, CancellationToken cancellationToken = default) => inner.StartManyAsync(kind, requests, cancellationToken);

        public Task<KindPause> PauseKindAsync(string kind, CancellationToken cancellationToken = default) => inner.PauseKindAsync(kind, cancellationToken);

        public Task<bool> ResumeKindAsync(string kind, CancellationToken cancellationToken = default) => inner.ResumeKindAsync(kind, cancellationToken);

        public Task<IReadOnlyList<KindPause>> GetPausedKindsAsync(CancellationToken cancellationToken = default) => inner.GetPausedKindsAsync(cancellationToken);

        public Task<IReadOnlyList<JobSchedule>> GetSchedulesAsync(CancellationToken cancellationToken = default) => inner.GetSchedulesAsync(cancellationToken);

        public Task<JobSchedule> PauseScheduleAsync(string schedule, CancellationToken cancellationToken = default) => inner.PauseScheduleAsync(schedule, cancellationToken);

        public Task<JobSchedule> ResumeScheduleAsync(string schedule, CancellationToken cancellationToken = default) => inner.ResumeScheduleAsync(schedule, cancellationToken);

        public Task<JobSnapshot?> CancelAsync(Guid id, CancellationToken cancellationToken = default)
        {
            lock (_cancelled)
            {
                _cancelled.Add(id);
            }

            return inner.CancelAsync(id, cancellationToken);
        }

        public Task<LongRunningJob?> RetryAsync(Guid id, CancellationToken cancellationToken = default) => inner.RetryAsync(id, cancellationToken);

        public bool TryGetActiveJob(Guid id, [NotNullWhen(true)] out LongRunningJob? job) => inner.TryGetActiveJob(id, out job);

        public IReadOnlyList<LongRunningJob> GetActiveJobs() => inner.GetActiveJobs();
    }

    /// <summary>An application's scheduler that also counts the jobs the REST API starts.</summary>
    internal sealed class StartingScheduler(JobScheduler inner) : CountingScheduler(inner), IRegisteredJobStarter
    {
        private readonly List<Guid> _started = [];

        public IReadOnlyList<Guid> Started
        {
            get
            {
                lock (_started)
                {
                    return [.. _started];
                }
            }
        }

        public async Task<(JobRecord State, StartOutcome Outcome)> StartValidatedAsync(JobKind kind, ValidatedStart start, DateTimeOffset? notBefore, CancellationToken cancellationToken)
        {
            var started = await Inner.StartValidatedAsync(kind, start, notBefore, cancellationToken);
            lock (_started)
            {
                _started.Add(started.State.Id);
            }

            return started;
        }

        public async Task<IReadOnlyList<(JobRecord State, StartOutcome Outcome)>> StartValidatedManyAsync(JobKind kind, IReadOnlyList<ValidatedStart> starts, CancellationToken cancellationToken)
        {
            var started = await Inner.StartValidatedManyAsync(kind, starts, cancellationToken);
            lock (_started)
            {
                _started.AddRange(started.Where(start => start.Outcome == StartOutcome.New).Select(start => start.State.Id));
            }

            return started;
        }
    }
}
