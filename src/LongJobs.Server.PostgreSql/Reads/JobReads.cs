using LongJobs.Server.PostgreSql.Batching;
using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql.Reads;

/// <summary>
/// Reads jobs by ID: concurrent reads coalesced into one statement per flush (<see cref="GroupCommit{TItem, TResult}"/>).
/// One notification can wake the waiters of every job a statement changed (a claim of many jobs, a flush of finishes);
/// their reads then cost one round trip and one transaction, not one each. A read alone is sent at once.
/// </summary>
internal sealed class JobReads
{
    /// <summary>The most reads one flush coalesces.</summary>
    internal const int MaxCoalesced = 500;

    private readonly JobDatabase _database;
    private readonly GroupCommit<Guid, JobRecord?> _reads;

    public JobReads(JobDatabase database)
    {
        _database = database;
        _reads = new(ReadRowsAsync, static id => id, MaxCoalesced, static _ => false);
    }

    /// <summary>Reads job <paramref name="id"/> in the next flush.</summary>
    /// <returns>The job, or <see langword="null"/> when there is none with that ID.</returns>
    public Task<JobRecord?> ReadAsync(Guid id, CancellationToken cancellationToken) => _reads.WriteAsync(id, cancellationToken);

    // Safe to repeat: a read changes nothing.
    private async Task<IReadOnlyList<JobRecord?>> ReadRowsAsync(IReadOnlyList<Guid> ids)
    {
        var rows = await _database.QueryJobsAsync("GetJobs", Repeat.Safe, CancellationToken.None, Parameter.Uuids("ids", ids)).ConfigureAwait(false);
        return JobRows.InOrderOf(rows, ids);
    }
}
