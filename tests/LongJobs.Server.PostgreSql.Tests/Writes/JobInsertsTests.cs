using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using LongJobs.Server.PostgreSql.Writes;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Writes;

/// <summary>
/// Inserts on PostgreSQL: the rows they answer with without reading them back, and bulk calls of more than one
/// statement (<see cref="JobInserts.MaxRowsPerStatement"/>).
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class JobInsertsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<PostgreSqlJobStore> _stores = [];
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task InsertMany_AnswersEachNewJob_AsReadingItBackGivesIt()
    {
        var store = CreateStore();
        var sentAt = new DateTimeOffset(2030, 1, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567); // not in UTC, nor in whole microseconds
        var request = JsonSerializer.SerializeToElement(new { n = 1, text = "é \u0000 \"quoted\"" });
        JobRecord[] jobs =
        [
            Job(sentAt) with { Request = request, MaxAttempts = 3, Priority = 7, TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            Job(sentAt.AddTicks(1)), // ad hoc: no request
            Job(sentAt.AddTicks(2)) with { Request = request, Owner = "alice", IdempotencyKey = "key", UniqueKey = "unique", RetryOf = Guid.CreateVersion7() },
            Job(sentAt.AddTicks(3)) with { Request = request, Status = JobStatus.Scheduled, NotBefore = sentAt.AddHours(1).AddTicks(9) },
            Job(sentAt.AddTicks(4)) with { Request = request, Notifications = new JobNotifications { CallbackUrl = "https://example.com/done", Email = "ops@example.com" } },
            Job(sentAt.AddTicks(5)) with { Request = request, Notifications = new JobNotifications() }, // nothing to notify: stored as none
            Job(sentAt.AddTicks(6)) with { Request = request, Status = JobStatus.Running, Progress = 0.5, Attempt = 2, Version = 9 }, // a new job all the same
            Job(sentAt.AddTicks(7)) with { Request = request, Priority = -3, NotBefore = sentAt.AddDays(1) }, // queued now: its time is for scheduled jobs only
        ];

        JobRecord[] bare = [Job(sentAt.AddTicks(8)), Job(sentAt.AddTicks(9)) with { MaxAttempts = 2 }]; // every nullable column null

        var answered = await store.InsertManyAsync(jobs);
        var answeredBare = await store.InsertManyAsync(bare);

        foreach (var answer in answered.Concat(answeredBare))
        {
            Assert.Equal(Json(await store.GetAsync(answer.Id)), Json(answer));
        }
    }

    [Fact]
    public async Task InsertAndInsertStarted_AnswerEachNewJob_AsReadingItBackGivesIt()
    {
        var store = CreateStore();
        await store.MigrateAsync();
        await store.PauseKindAsync("paused", T0);
        var sentAt = new DateTimeOffset(2030, 1, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567); // not in UTC, nor in whole microseconds
        var startedAt = sentAt.AddTicks(4_321);
        var request = JsonSerializer.SerializeToElement(new { n = 1, text = "é \u0000 \"quoted\"" });
        var started = new[]
        {
            Job(sentAt) with { Request = request, MaxAttempts = 3, Priority = 7, TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            Job(sentAt.AddTicks(1)), // ad hoc: no request
            Job(sentAt.AddTicks(2)) with { Request = request, Owner = "alice", IdempotencyKey = "key", UniqueKey = "unique" },
            Job(sentAt.AddTicks(3)) with { Kind = "paused", Request = request }, // stored queued: its kind is paused
        };
        var queued = new[]
        {
            Job(sentAt.AddTicks(4)) with { Request = request, Status = JobStatus.Scheduled, NotBefore = sentAt.AddHours(1).AddTicks(9) },
            Job(sentAt.AddTicks(5)) with { Request = request, Notifications = new JobNotifications { CallbackUrl = "https://example.com/done", Email = "ops@example.com" } },
            Job(sentAt.AddTicks(6)) with { Request = request, Status = JobStatus.Running, Progress = 0.5, Attempt = 2, Version = 9 }, // a new job all the same
        };

        var answered = await Task.WhenAll(
            started.Select(job => store.InsertStartedAsync(job, startedAt).AsTask()).Concat(queued.Select(job => store.InsertAsync(job).AsTask())));

        Assert.Equal(
            [JobStatus.Running, JobStatus.Running, JobStatus.Running, JobStatus.Queued, JobStatus.Scheduled, JobStatus.Queued, JobStatus.Queued],
            answered.Select(job => job.Status));
        foreach (var answer in answered)
        {
            Assert.Equal(Json(await store.GetAsync(answer.Id)), Json(answer));
        }
    }

    [Fact]
    public async Task InsertMany_OfMoreThanOneStatement_AnswersEachJobInOrder_WithKeysTakenInAnEarlierStatement()
    {
        var store = CreateStore();
        var count = JobInserts.MaxRowsPerStatement + 10;
        var jobs = Enumerable.Range(0, count).Select(i => Job(T0.AddTicks(i * 10)) with { Request = JsonSerializer.SerializeToElement(new { n = i }) }).ToList();
        jobs[0] = jobs[0] with { IdempotencyKey = "first" };
        jobs[^1] = jobs[^1] with { IdempotencyKey = "first" };
        jobs[1] = jobs[1] with { UniqueKey = "once" };
        jobs[^2] = jobs[^2] with { UniqueKey = "once" };

        var answered = await store.InsertManyAsync(jobs);

        Assert.Equal([.. jobs.Take(count - 2).Select(job => job.Id), jobs[1].Id, jobs[0].Id], answered.Select(job => job.Id));
        Assert.Null(await store.GetAsync(jobs[^1].Id));
        Assert.Null(await store.GetAsync(jobs[^2].Id));
        Assert.Equal(count - 2, await CountAsync());
    }

    [Fact]
    public async Task InsertMany_WhenALaterStatementFails_SaysTheStoreMayHaveChanged_AndKeepsWhatTheFirstStored()
    {
        var store = CreateStore();
        var jobs = Enumerable.Range(0, JobInserts.MaxRowsPerStatement + 1).Select(i => Job(T0.AddTicks(i * 10))).ToList();
        jobs[^1] = jobs[^1] with { Kind = "no \u0000 in text" }; // PostgreSQL's text holds no NUL: the second statement is rejected

        var failure = await Assert.ThrowsAsync<JobStoreUnavailableException>(async () => await store.InsertManyAsync(jobs));

        Assert.True(failure.MayHaveChanged);
        Assert.Equal(JobInserts.MaxRowsPerStatement, await CountAsync());
    }

    [Fact]
    public async Task InsertMany_CancelledBeforeItsFirstStatement_StoresNothing()
    {
        var store = CreateStore();
        await store.MigrateAsync();
        var jobs = Enumerable.Range(0, JobInserts.MaxRowsPerStatement + 1).Select(i => Job(T0.AddTicks(i * 10))).ToList();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.InsertManyAsync(jobs, new CancellationToken(canceled: true)));

        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task InsertMany_OfJobsWithoutKeys_SomeStoredByAnAttemptWhoseAnswerWasLost_AnswersEachWithItsRow()
    {
        var store = CreateStore();
        var jobs = Enumerable.Range(0, 4).Select(i => Job(T0.AddTicks(i * 10)) with { Request = JsonSerializer.SerializeToElement(new { n = i }) }).ToList();
        var first = await store.InsertManyAsync(jobs[..2]);

        var again = await store.InsertManyAsync(jobs);

        Assert.Equal(jobs.Select(job => job.Id), again.Select(job => job.Id));
        Assert.Equal(first.Select(Json), again.Take(2).Select(Json));
        Assert.Equal(4, await CountAsync());
    }

    [Fact]
    public void TheStatementsForJobsWithoutKeys_AreInsertJobs_ButForOnConflict_AndWhatTheyReturn()
    {
        var sql = new SqlScripts("s");

        Assert.EndsWith("ON CONFLICT DO NOTHING\nRETURNING id, status;\n", sql["InsertJobs"], StringComparison.Ordinal);
        Assert.Equal(sql["InsertJobs"].Replace("ON CONFLICT DO NOTHING\n", string.Empty, StringComparison.Ordinal), sql["InsertJobsWithoutKeys"]);
        Assert.Equal(sql["InsertJobsWithoutKeys"].Replace("\nRETURNING id, status;", ";", StringComparison.Ordinal), sql["InsertUnstartedJobsWithoutKeys"]);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    private static JobRecord Job(DateTimeOffset createdAt) => new() { Id = Guid.CreateVersion7(createdAt), Kind = "k", CreatedAt = createdAt };

    private static string Json(JobRecord? job) => JsonSerializer.Serialize(job);

    private async Task<long> CountAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {_schema}.jobs");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private PostgreSqlJobStore CreateStore()
    {
        var store = new PostgreSqlJobStore(
            Options.Create(new PostgreSqlJobStoreOptions { ConnectionString = server.ConnectionString, Schema = _schema }),
            TimeProvider.System,
            NullLogger<PostgreSqlJobStore>.Instance);
        _stores.Add(store);
        return store;
    }
}
