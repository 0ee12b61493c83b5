using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql.Writes;

/// <summary>
/// Writes jobs' outcomes: concurrent finishes coalesced into one guarded statement per flush
/// (<see cref="GroupCommit{TItem, TResult}"/>), each row still changed only in the status and attempt its caller expects.
/// </summary>
internal sealed class JobFinishes
{
    /// <summary>The most outcomes one flush writes.</summary>
    internal const int MaxCoalesced = 500;

    private readonly JobDatabase _database;
    private readonly GroupCommit<Finish, JobRecord?> _finishes;

    public JobFinishes(JobDatabase database)
    {
        _database = database;
        _finishes = new(FinishRowsAsync, static finish => finish.Id, MaxCoalesced, DatabaseFailures.IsRejectedValue);
    }

    /// <summary>Moves a job from <paramref name="expectedStatus"/> in <paramref name="expectedAttempt"/> to its outcome, in the next flush.</summary>
    /// <returns>The new snapshot, or <see langword="null"/> when the job was not in that status and attempt.</returns>
    public Task<JobRecord?> TryFinishAsync(Guid id, JobStatus expectedStatus, int expectedAttempt, JobOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished status.", nameof(outcome));
        }

        return _finishes.WriteAsync(new Finish(id, expectedStatus, expectedAttempt, outcome), cancellationToken);
    }

    /// <summary>
    /// Finishes <paramref name="finishes"/> in one statement. Not repeated once sent: a finish that committed before its
    /// answer was lost would find the job finished and answer that it was not.
    /// </summary>
    private async Task<IReadOnlyList<JobRecord?>> FinishRowsAsync(IReadOnlyList<Finish> finishes)
    {
        var rows = await _database.QueryJobsAsync(
            "FinishJobs",
            Repeat.OnlyIfUnsent,
            CancellationToken.None,
            Parameter.Uuids("ids", finishes.Select(finish => finish.Id)),
            Parameter.Texts("expected_statuses", finishes.Select(finish => finish.ExpectedStatus.ToString())),
            Parameter.Integers("expected_attempts", finishes.Select(finish => finish.ExpectedAttempt)),
            Parameter.Texts("statuses", finishes.Select(finish => finish.Outcome.Status.ToString())),
            Parameter.Timestamps("completed_ats", finishes.Select(finish => (DateTimeOffset?)finish.Outcome.CompletedAt)),
            Parameter.Jsons("results", finishes.Select(finish => finish.Outcome.Result)),
            Parameter.Jsons("errors", finishes.Select(finish => finish.Outcome.Error is { } error ? JobRows.ToStoredJson(error) : (JsonElement?)null))).ConfigureAwait(false);

        return JobRows.InOrderOf(rows, finishes.Select(finish => finish.Id));
    }

    /// <summary>One caller's outcome for one job.</summary>
    private sealed record Finish(Guid Id, JobStatus ExpectedStatus, int ExpectedAttempt, JobOutcome Outcome);
}
