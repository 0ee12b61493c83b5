using System.Globalization;
using System.Text.Json;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.PostgreSql.Tests.Support;
using Npgsql;
using NpgsqlTypes;
using Xunit.Abstractions;
using static LongJobs.Server.PostgreSql.Tests.Plans.MillionJobsDatabase;

namespace LongJobs.Server.PostgreSql.Tests.Plans;

/// <summary>
/// Every statement of the store that runs on a hot path, planned against a million finished jobs with the parameters
/// the store binds: none reads the jobs table whole, and each reads a number of rows bounded by its own work (a limit, a
/// page, a batch, the running jobs), never by the size of the table. The plans and their times (measured, not asserted:
/// each statement runs once under EXPLAIN ANALYZE, in a transaction rolled back) go to the test output.
/// </summary>
[Collection(PostgreSqlServer.CollectionName)]
public sealed class HotStatementPlanTests(MillionJobsDatabase jobs, ITestOutputHelper output) : IClassFixture<MillionJobsDatabase>
{
    /// <summary>The statements that do not read the jobs table (the sweep's advisory lock, the paused kinds' table).</summary>
    private static readonly string[] NotOnJobs = ["TakeSweepLock", "ReleaseSweepLock", "GetPausedKinds", "PauseKind", "ResumeKind", "AddSchedules", "GetSchedules", "PauseSchedule", "ResumeSchedule", "BeatNode", "LeaveNode"];

    private const int PageSize = 21, StreamPageSize = 101, BatchSize = 1_000, ClaimLimit = 10, DueBatch = 500;

    private static readonly DateTimeOffset Now = MillionJobsDatabase.Now;

    private static readonly Guid RunningJob = JobId(FirstRunning + 1), AdHocJob = JobId(FirstAdHocQueued + 1),
        FinishedJob = JobId(Finished / 2), OutboxJob = JobId(FirstInOutbox + 1), Claimant = Guid.Parse("11111111-1111-4111-8111-111111111111");

    private static readonly string[] AllKinds = ["report", "export", "email", "import", "resize", RareKind];

    /// <summary>The cases by name: the statement, its parameters, and how many rows of jobs it may read.</summary>
    private static readonly Dictionary<string, PlanCase> Cases = new PlanCase[]
    {
        new("ClaimJobs", "ClaimJobs", ClaimLimit * 3, () => [Parameter.Texts("kinds", AllKinds), Parameter.Integer("limit", ClaimLimit), .. StartedHere()]),
        // The rare kind has one queued job among the queue: the claim reads the whole queue, and no more.
        new("ClaimJobs of a kind rarely queued", "ClaimJobs", Queued + ClaimLimit, () => [Parameter.Texts("kinds", [RareKind]), Parameter.Integer("limit", ClaimLimit), .. StartedHere()]),
        // 'report' limited across nodes: its running jobs are counted (through the status index), then the queue read as above.
        new("ClaimLimitedJobs", "ClaimLimitedJobs", ClaimLimit * 3 + (FirstAdHocQueued - FirstRunning), () =>
            [Parameter.Texts("kinds", AllKinds), Parameter.Integer("limit", ClaimLimit), .. StartedHere(), Parameter.Texts("limited_kinds", ["report"]), Parameter.Integers("max_running", [100_000])]),
        new("CountQueuedJobs", "CountQueuedJobs", 1_000, () => [Parameter.Integer("count_at_most", 1_000)]),
        // A flush of reads: a finished, a running and a queued job, and jobs not found.
        new("GetJobs", "GetJobs", 3, () => [Parameter.Uuids("ids", [FinishedJob, RunningJob, AdHocJob, JobId(Total + 1), JobId(Total + 2)])]),
        new("GetJobByIdempotencyKey", "GetJobByIdempotencyKey", 1, () =>
            [Parameter.Text("idempotency_key", "key-499995"), Parameter.Text("owner", string.Create(CultureInfo.InvariantCulture, $"user-{499_995 % 97}"))]),
        // A third of the jobs have a unique key ('customer-{i}'), the queued job FirstQueued among them.
        new("GetJobByUniqueKey", "GetJobByUniqueKey", 1, () =>
            [Parameter.Text("kind", "export"), Parameter.Text("unique_key", string.Create(CultureInfo.InvariantCulture, $"customer-{FirstQueued}"))]),
        // A schedule ('nightly-report', done up to a day ago) whose occurrence due now starts its job.
        new("AdvanceSchedule", "AdvanceSchedule", 1, () =>
        [
            Parameter.Text("name", "nightly-report"), Parameter.Timestamp("due", Now), Parameter.Uuid("id", JobId(Total + 1_000)),
            Parameter.Text("kind", "report"), Parameter.Timestamp("created_at", Now), Parameter.Json("request", JsonDocument.Parse("{\"n\":1}").RootElement),
            Parameter.Integer("max_attempts", 3), Parameter.Text("trace_parent", null), Parameter.Text("unique_key", "customer-nightly"), Parameter.Integer("priority", 0),
        ]),
        new("InsertJobs", "InsertJobs", 100, () =>
        [
            Parameter.Uuids("ids", Enumerable.Range(Total + 1, 100).Select(JobId)), Parameter.Texts("kinds", Enumerable.Repeat("report", 100)),
            Parameter.Timestamps("created_ats", Enumerable.Repeat<DateTimeOffset?>(Now, 100)),
            Parameter.Jsons("requests", Enumerable.Repeat<JsonElement?>(JsonDocument.Parse("{\"n\":1}").RootElement, 100)),
            Parameter.NullableTexts("owners", Enumerable.Repeat("user-1", 100)),
            Parameter.NullableTexts("idempotency_keys", Enumerable.Range(0, 100).Select(i => string.Create(CultureInfo.InvariantCulture, $"key-new-{i}"))),
            Parameter.NullableTexts("unique_keys", Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? string.Create(CultureInfo.InvariantCulture, $"customer-new-{i}") : null)),
            Parameter.Integers("priorities", Enumerable.Range(0, 100).Select(i => i % 5)),
            Parameter.NullableUuids("retry_ofs", Enumerable.Range(0, 100).Select(i => i % 10 == 0 ? (Guid?)JobId(i + 1) : null)),
            Parameter.Integers("max_attempts", Enumerable.Repeat(3, 100)), Parameter.Jsons("notifications", Enumerable.Repeat<JsonElement?>(null, 100)),
            Parameter.NullableTexts("trace_parents", Enumerable.Repeat<string?>(null, 100)),
            Parameter.Timestamps("not_befores", Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? (DateTimeOffset?)Now.AddHours(1) : null)), Parameter.Text("node", "node-0"),
            Parameter.Timestamps("started_ats", Enumerable.Range(0, 100).Select(i => i % 4 == 1 ? (DateTimeOffset?)Now : null)),
            Parameter.Interval("lease", TimeSpan.FromSeconds(30)),
        ]),
        // InsertJobs without ON CONFLICT, for jobs with neither key.
        new("InsertJobsWithoutKeys", "InsertJobsWithoutKeys", 100, () => ParametersOf("InsertJobs")),
        new("InsertUnstartedJobsWithoutKeys", "InsertUnstartedJobsWithoutKeys", 100, () => ParametersOf("InsertJobs")),
        List("ListJobs, all", PageSize),
        List("ListJobs, Queued", PageSize, status: "Queued"),
        List("ListJobs, Running", PageSize, status: "Running"),
        List("ListJobs, Succeeded", PageSize, status: "Succeeded"),
        List("ListJobs, Failed", PageSize, status: "Failed"),
        List("ListJobs, Canceled", PageSize, status: "Canceled"),
        List("ListJobs, a kind", PageSize, kind: "email"),
        List("ListJobs, a rare kind", PageSize, kind: RareKind),
        List("ListJobs, an owner", PageSize, owner: "user-3"),
        List("ListJobs, an owner of ten jobs", PageSize, owner: RareOwner),
        List("ListJobs, no owner", PageSize, owner: string.Empty),
        List("ListJobs, next page", PageSize, after: (Now.AddDays(-10), JobId(Finished / 3))),
        List("ListJobs, created in a day", PageSize, created: (Now.AddDays(-11), Now.AddDays(-10))),
        List("ListJobs, an owner, created in a day", PageSize, owner: "user-3", created: (Now.AddDays(-11), Now.AddDays(-10))),
        List("ListJobs, Failed, created in a day", PageSize, status: "Failed", created: (Now.AddDays(-11), Now.AddDays(-10))),
        List("ListJobs, stream resync: Queued", StreamPageSize, status: "Queued", owner: "user-3"),
        List("ListJobs, stream resync: Running", StreamPageSize, status: "Running", owner: "user-3"),
        List("ListJobs, stream resync: finished since", StreamPageSize, owner: "user-3", completedAfter: Now.AddMinutes(-2)),
        List("ListJobs, stream resync of all: finished since", StreamPageSize, completedAfter: Now.AddMinutes(-2)),
        // The dashboard's overview: the unfinished jobs (each status up to its limit), and the last hour of finished jobs, at
        // Now (none finished then: the window is empty) and at the end of the finished jobs (1,440 of them in the hour).
        Overview("CountJobs, all, now", owner: null, until: Now),
        Overview("CountJobs, all, the busy hour", owner: null, until: EndOfFinished),
        Overview("CountJobs, an owner, the busy hour", owner: "user-3", until: EndOfFinished),
        Overview("CountJobs, an owner of ten jobs, the busy hour", owner: RareOwner, until: EndOfFinished),
        Overview("CountJobs, no owner, the busy hour", owner: string.Empty, until: EndOfFinished),
        // The nodes alive: the running jobs by node, through their partial index.
        new("ListNodes", "ListNodes", Running, () => [Parameter.Timestamp("now", Now), Parameter.Timestamp("alive_after", Now.AddSeconds(-30))]),
        new("GetNextDueTime", "GetNextDueTime", 10, () => []),
        new("QueueDueJobs", "QueueDueJobs", DueBatch * 3, () => [Parameter.Timestamp("now", Now), Parameter.Integer("limit", DueBatch)]),
        new("TryStartJob", "TryStartJob", 1, () => [Parameter.Uuid("id", AdHocJob), .. StartedHere()]),
        new("ReportProgress", "ReportProgress", 100 * 3, () =>
        [
            Parameter.Uuids("ids", Enumerable.Range(FirstRunning, 100).Select(JobId)), Parameter.Integers("attempts", Enumerable.Repeat(1, 100)),
            new NpgsqlParameter("progresses", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = Enumerable.Repeat(0.6, 100).ToArray() },
            Parameter.NullableTexts("messages", Enumerable.Repeat("Halfway.", 100)),
        ]),
        new("TryStartNextAttempt", "TryStartNextAttempt", 1, () =>
        [
            Parameter.Uuid("id", RunningJob), Parameter.Integer("failed_attempt", 1), Parameter.Text("message", "Retrying."),
            Parameter.Timestamp("failed_at", Now), Parameter.Timestamp("next_starts_at", Now.AddSeconds(2)),
            new NpgsqlParameter("error", NpgsqlDbType.Json) { Value = "{\"type\":\"urn:test\",\"title\":\"Transient.\"}" },
        ]),
        new("TryRequeueJob", "TryRequeueJob", 1, () =>
            [Parameter.Uuid("id", RunningJob), Parameter.Integer("attempt", 1), Parameter.Text("message", "Stopping."), Parameter.Timestamp("at", Now), Parameter.Text("node", "node-1")]),
        new("FinishJobs", "FinishJobs", 100 * 3, () =>
        [
            Parameter.Uuids("ids", Enumerable.Range(FirstRunning, 100).Select(JobId)), Parameter.Texts("expected_statuses", Enumerable.Repeat("Running", 100)),
            Parameter.Integers("expected_attempts", Enumerable.Repeat(1, 100)), Parameter.Texts("statuses", Enumerable.Repeat("Succeeded", 100)),
            Parameter.Timestamps("completed_ats", Enumerable.Repeat<DateTimeOffset?>(Now, 100)),
            Parameter.Jsons("results", Enumerable.Repeat<JsonElement?>(JsonDocument.Parse("{\"rows\":1}").RootElement, 100)),
            Parameter.Jsons("errors", Enumerable.Repeat<JsonElement?>(null, 100)),
        ]),
        new("RequestCancellation", "RequestCancellation", 1, () => [Parameter.Uuid("id", RunningJob), Parameter.Timestamp("canceled_at", Now)]),
        new("RecordDelivery", "RecordDelivery", 1, () =>
        [
            Parameter.Uuid("id", OutboxJob), Parameter.Text("channel", "webhook"),
            new NpgsqlParameter("delivery", NpgsqlDbType.Json) { Value = "{\"channel\":\"webhook\",\"succeeded\":true}" },
        ]),
        new("ClaimDueNotifications", "ClaimDueNotifications", ClaimLimit * 3, () =>
        [
            Parameter.Uuid("claimant", Claimant), Parameter.Timestamp("now", Now), Parameter.Timestamp("lease_until", Now.AddMinutes(1)),
            Parameter.Integer("limit", ClaimLimit),
        ]),
        new("ReleaseNotifications", "ReleaseNotifications", 1, () =>
            [Parameter.Uuid("id", OutboxJob), Parameter.Uuid("claimant", Claimant), Parameter.Timestamp("next_due_at", Now.AddMinutes(5))]),
        // Each renewed job is read twice: locked in ID order, then updated.
        new("RenewLeases", "RenewLeases", Running / 4 * 2, () =>
        [
            Parameter.Text("node", "node-1"),
            Parameter.Uuids("ids", Enumerable.Range(FirstRunning, Running).Where(i => i % 4 == 1).Select(JobId)),
            Parameter.Timestamp("lease_expires_at", Now.AddSeconds(30)), Parameter.Timestamp("heartbeat_at", Now),
        ]),
        new("RecoverJobsOfLostNodes", "RecoverJobsOfLostNodes", Running + AdHocQueued + (Running / 100), () =>
        [
            Parameter.Timestamp("now", Now), new NpgsqlParameter("start_grace", NpgsqlDbType.Interval) { Value = TimeSpan.FromMinutes(1) },
            new NpgsqlParameter("error", NpgsqlDbType.Json) { Value = "{\"code\":\"lost\",\"message\":\"The node was lost.\"}" },
        ]),
        new("FindRetentionBoundary", "FindRetentionBoundary", 10_001, () => [Parameter.Integer("keep_at_most", 10_000)]),
        new("DeleteFinishedJobs, expired", "DeleteFinishedJobs", BatchSize * 4, () =>
            [Parameter.Timestamp("finished_before", Now.AddDays(-29)), Parameter.Timestamp("beyond_completed_at", null), Parameter.Uuid("beyond_id", null), Parameter.Integer("batch_size", BatchSize)]),
        new("DeleteFinishedJobs, beyond the count", "DeleteFinishedJobs", BatchSize * 4, () =>
        [
            Parameter.Timestamp("finished_before", Now.AddDays(-60)), Parameter.Timestamp("beyond_completed_at", Now.AddDays(-15)),
            Parameter.Uuid("beyond_id", JobId(Finished / 2)), Parameter.Integer("batch_size", BatchSize),
        ]),
        new("DeleteFinishedJob", "DeleteFinishedJob", 1, () => [Parameter.Uuid("id", FinishedJob)]),
        new("GetJobHistory", "GetJobHistory", 1, () => [Parameter.Uuid("id", FinishedJob)]),
        new("AppendJobLog", "AppendJobLog", 100, () =>
        [
            Parameter.Uuids("job_ids", Enumerable.Range(FirstRunning, 100).Select(JobId)), Parameter.Timestamps("ats", Enumerable.Repeat<DateTimeOffset?>(Now, 100)),
            Parameter.Texts("levels", Enumerable.Repeat("Information", 100)), Parameter.Integers("attempts", Enumerable.Repeat(1, 100)),
            Parameter.Texts("messages", Enumerable.Repeat("A line.", 100)), Parameter.Integer("keep_last", 200),
        ]),
    }.ToDictionary(planCase => planCase.Name);

    /// <summary>The names of the cases, for the theory.</summary>
    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public async Task Fixture_HoldsAMillionFinishedJobs_TheQueue_AndScheduledJobs()
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Filled, indexed and vacuumed {Total:N0} jobs in {jobs.FillTime.TotalSeconds:F1} s."));
        await using var connection = new NpgsqlConnection(jobs.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE status IN ('Succeeded', 'Failed', 'Canceled')), count(*) FILTER (WHERE notify_at IS NOT NULL), " +
            "count(*) FILTER (WHERE status = 'Running'), count(*) FILTER (WHERE status = 'Queued'), count(*) FILTER (WHERE status = 'Scheduled') FROM longjobs.jobs",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        Assert.Equal((Finished + InOutbox, InOutbox, Running, Queued + AdHocQueued, Scheduled), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
    }

    [Fact]
    public void Cases_CoverEveryStatementOnTheJobsTable()
    {
        var statements = typeof(SqlScripts).Assembly.GetManifestResourceNames()
            .Where(resource => resource.Contains(".Sql.", StringComparison.Ordinal))
            .Select(resource => Path.GetFileNameWithoutExtension(resource[(resource.IndexOf(".Sql.", StringComparison.Ordinal) + 5)..]));

        Assert.Empty(statements.Except(NotOnJobs).Except(Cases.Values.Select(planCase => planCase.Statement)));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Statement_OnAMillionFinishedJobs_ReadsNoTableWhole_AndRowsBoundedByItsWork(string name)
    {
        var planCase = Cases[name];
        await using var connection = new NpgsqlConnection(jobs.ConnectionString);
        await connection.OpenAsync();

        var plan = await ExplainAsync(connection, planCase, analyze: false);
        QueryPlan measured;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            measured = await ExplainAsync(connection, planCase, analyze: true);
            await transaction.RollbackAsync();
        }

        QueryPlan generic;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            generic = await ExplainGenericAsync(connection, planCase);
            await transaction.RollbackAsync();
        }

        output.WriteLine($"{name}: {measured}");
        output.WriteLine($"{name}, generic plan: {generic}");
        Assert.False(plan.SeqScansJobs, $"{name} reads the jobs table whole: {plan}");
        Assert.False(measured.SeqScansJobs, $"{name} read the jobs table whole: {measured}");
        Assert.InRange(measured.RowsReadFromJobs, 0, planCase.MaxRowsRead);
        Assert.False(generic.SeqScansJobs, $"The generic plan of {name} reads the jobs table whole: {generic}");
        if (planCase.GenericPlanBounded)
        {
            Assert.InRange(generic.RowsReadFromJobs, 0, planCase.MaxRowsRead);
        }
    }

    /// <summary>The statement of <paramref name="planCase"/> that reads and writes the jobs: a script's last (a claim of limited kinds first takes locks).</summary>
    private string LastStatement(PlanCase planCase) =>
        jobs.Sql[planCase.Statement].Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];

    private async Task<QueryPlan> ExplainAsync(NpgsqlConnection connection, PlanCase planCase, bool analyze)
    {
        var options = analyze ? "ANALYZE, FORMAT JSON" : "FORMAT JSON";
        await using var command = new NpgsqlCommand($"EXPLAIN ({options})\n{LastStatement(planCase)}", connection);
        command.Parameters.AddRange(planCase.Parameters());
        return QueryPlan.Parse((string)(await command.ExecuteScalarAsync())!);
    }

    /// <summary>
    /// The generic plan of <paramref name="planCase"/>'s statement (the plan PostgreSQL may keep for a statement that Npgsql
    /// prepared, after five runs, when it seems no costlier than the plans made for each run's values), run under ANALYZE.
    /// </summary>
    private async Task<QueryPlan> ExplainGenericAsync(NpgsqlConnection connection, PlanCase planCase)
    {
        var parameters = planCase.Parameters();
        await using (var generic = new NpgsqlCommand("SET LOCAL plan_cache_mode = force_generic_plan", connection))
        {
            await generic.ExecuteNonQueryAsync();
        }

        var prepared = await PreparedInSql.PrepareAsync(connection, "generic", LastStatement(planCase), parameters);
        var plan = await prepared.ExplainAsync(connection, parameters);
        await prepared.DeallocateAsync(connection);
        return plan;
    }

    /// <summary>The parameters of a start on <c>node-9</c>, as the store binds them.</summary>
    private static NpgsqlParameter[] StartedHere() =>
        [Parameter.Timestamp("started_at", Now), Parameter.Text("node", "node-9"), Parameter.Timestamp("lease_expires_at", Now.AddSeconds(30))];

    /// <summary>
    /// A first page of a list (or a next one, <paramref name="after"/> a cursor). Reading newest first, a page may skip
    /// the newer jobs that do not match (a list of finished jobs skips the queued and running ones), never a sizeable
    /// share of the table: at most 1% of it. One statement serves every filter, so its generic plan cannot pick the
    /// index that fits one: it reads newest first whatever the filter, and a rare filter reads far. PostgreSQL keeps
    /// planning it for each run's values while that generic plan is estimated costlier (the test output shows both).
    /// </summary>
    /// <summary>
    /// A list: at most a hundredth of the table, plus the unfinished jobs. A list of a common finished status may walk the
    /// newest jobs first past the unfinished ones, which are the newest of all: the planner does not know that the status
    /// is rare at that end of the table (a known weakness of the catch-all list statement, with no worse case than this).
    /// </summary>
    private static PlanCase List(string name, int limit, string? status = null, string? kind = null, string? owner = null, DateTimeOffset? completedAfter = null, (DateTimeOffset CreatedAt, Guid Id)? after = null, (DateTimeOffset After, DateTimeOffset Before)? created = null) =>
        new(name, "ListJobs", (Total / 100) + Running + AdHocQueued + Queued + Scheduled, GenericPlanBounded: false, () =>
        [
            Parameter.Text("status", status), Parameter.Text("kind", kind), Parameter.Text("owner", owner), Parameter.Timestamp("completed_after", completedAfter),
            Parameter.Timestamp("created_after", created?.After), Parameter.Timestamp("created_before", created?.Before),
            Parameter.Timestamp("after_created_at", after?.CreatedAt), Parameter.Uuid("after_id", after?.Id), Parameter.Integer("limit", limit),
        ]);

    /// <summary>Shortly after the newest finished job finished: the hour before holds 1,440 finished jobs (one per 2.5 s).</summary>
    private static DateTimeOffset EndOfFinished => MillionJobsDatabase.Now.AddSeconds(-55_000);

    /// <summary>
    /// The overview's counts (as the dashboard asks: each unfinished status up to 10,000, the hour before
    /// <paramref name="until"/> per minute): the unfinished jobs, and the hour's finished jobs, whatever the table's size.
    /// </summary>
    private static PlanCase Overview(string name, string? owner, DateTimeOffset until) =>
        new(name, "CountJobs", Scheduled + Queued + AdHocQueued + Running + 2_000, () =>
        [
            Parameter.Text("owner", owner), Parameter.Timestamp("since", until.AddHours(-1)), Parameter.Timestamp("until", until),
            Parameter.Interval("bucket", TimeSpan.FromMinutes(1)), Parameter.Integer("count_at_most", 10_000), Parameter.Integer("finished_at_most", 100_000),
        ]);

    /// <summary>The parameters of the case <paramref name="name"/>, for a statement that takes the same.</summary>
    private static NpgsqlParameter[] ParametersOf(string name) => Cases[name].Parameters();

    /// <summary>
    /// One statement with realistic parameters, and the most rows of jobs its plan may read: the plan made for these
    /// values, and, when <paramref name="GenericPlanBounded"/>, also the generic plan of the prepared statement.
    /// </summary>
    private sealed record PlanCase(string Name, string Statement, int MaxRowsRead, bool GenericPlanBounded, Func<NpgsqlParameter[]> Parameters)
    {
        public PlanCase(string name, string statement, int maxRowsRead, Func<NpgsqlParameter[]> parameters)
            : this(name, statement, maxRowsRead, GenericPlanBounded: true, parameters)
        {
        }
    }
}
