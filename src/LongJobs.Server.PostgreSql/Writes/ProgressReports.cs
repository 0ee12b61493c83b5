using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using NpgsqlTypes;

namespace LongJobs.Server.PostgreSql.Writes;

/// <summary>
/// Writes running jobs' progress: concurrent reports coalesced into one guarded statement per flush
/// (<see cref="GroupCommit{TItem, TResult}"/>), each row changed only in the attempt its caller names.
/// </summary>
internal sealed class ProgressReports
{
    /// <summary>The most reports one flush writes.</summary>
    internal const int MaxCoalesced = 500;

    private readonly JobDatabase _database;
    private readonly GroupCommit<Report, JobRecord?> _reports;

    public ProgressReports(JobDatabase database)
    {
        _database = database;
        _reports = new(WriteRowsAsync, static report => report.Id, MaxCoalesced, DatabaseFailures.IsRejectedValue);
    }

    /// <summary>Records progress of a job running in attempt <paramref name="attempt"/>, in the next flush.</summary>
    /// <returns>The new snapshot, or <see langword="null"/> when the job is not running in that attempt.</returns>
    public Task<JobRecord?> TryReportAsync(Guid id, int attempt, double progress, string? message, CancellationToken cancellationToken) =>
        _reports.WriteAsync(new Report(id, attempt, progress, message), cancellationToken);

    // Safe to repeat: a repeat writes the same progress again (the version moves once more).
    private async Task<IReadOnlyList<JobRecord?>> WriteRowsAsync(IReadOnlyList<Report> reports)
    {
        var rows = await _database.QueryJobsAsync(
            "ReportProgress",
            Repeat.Safe,
            CancellationToken.None,
            Parameter.Uuids("ids", reports.Select(report => report.Id)),
            Parameter.Integers("attempts", reports.Select(report => report.Attempt)),
            new("progresses", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = reports.Select(report => report.Progress).ToArray() },
            Parameter.NullableTexts("messages", reports.Select(report => report.Message))).ConfigureAwait(false);

        return JobRows.InOrderOf(rows, reports.Select(report => report.Id));
    }

    /// <summary>One caller's report for one job.</summary>
    private sealed record Report(Guid Id, int Attempt, double Progress, string? Message);
}
