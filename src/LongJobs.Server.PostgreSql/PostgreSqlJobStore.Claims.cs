using LongJobs.Server.PostgreSql.Connections;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;

namespace LongJobs.Server.PostgreSql;

/// <summary>Claims (<see cref="IQueuedJobs.ClaimAsync"/>): one statement, or a few in turn when kinds limited across nodes hold some of the first waiting jobs back.</summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, IReadOnlyDictionary<string, int>? runningLimits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var inFlight = _claims.Begin();
        var limited = runningLimits?.Where(pair => kinds.Contains(pair.Key)).ToList() ?? [];
        var claimed = limited.Count == 0
            ? await _database.QueryJobsAsync(
                "ClaimJobs",
                Repeat.OnlyIfUnsent,
                cancellationToken,
                [Parameter.Texts("kinds", kinds), Parameter.Integer("limit", limit), .. StartedHere(startedAt)]).ConfigureAwait(false)
            : await ClaimWithRunningLimitsAsync(kinds, limit, startedAt, limited, cancellationToken).ConfigureAwait(false);

        foreach (var job in claimed)
        {
            _changes.KnownStates.Forget(job.Id);
            _claims.Keep(job);
        }

        // RETURNING keeps no order.
        claimed.Sort(static (a, b) => a.ClaimAt != b.ClaimAt ? a.ClaimAt.CompareTo(b.ClaimAt) : a.Id.CompareTo(b.Id));
        return claimed;
    }

    /// <summary>
    /// Claims with <c>ClaimLimitedJobs</c>, whose candidates are the first <paramref name="limit"/> waiting jobs: when a
    /// limited kind's room left some of them queued, jobs of other kinds may wait behind them, so it claims again for the
    /// slots left. That kind has no room then and is passed over; each further statement fills at least one more kind's
    /// room, so there are at most one more than there are limited kinds. A claim takes fewer jobs than
    /// <paramref name="limit"/> only when no other waiting job may start.
    /// </summary>
    private async Task<List<JobRecord>> ClaimWithRunningLimitsAsync(IReadOnlyCollection<string> kinds, int limit, DateTimeOffset startedAt, List<KeyValuePair<string, int>> limited, CancellationToken cancellationToken)
    {
        var claimed = new List<JobRecord>();
        for (var statement = 0; statement <= limited.Count && claimed.Count < limit; statement++)
        {
            var left = limit - claimed.Count;
            var (jobs, candidates) = await _database.ExecuteAsync(
                "ClaimLimitedJobs",
                Repeat.OnlyIfUnsent,
                static async (command, token) =>
                {
                    // The first statement's answer is the count of locks taken; the jobs are the second's.
                    await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                    await reader.NextResultAsync(token).ConfigureAwait(false);
                    var jobs = new List<JobRecord>();
                    var candidates = 0L;
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        jobs.Add(JobRows.Read(reader));
                        candidates = reader.GetInt64(reader.FieldCount - 1);
                    }

                    return (jobs, candidates);
                },
                cancellationToken,
                [
                    Parameter.Texts("kinds", kinds), Parameter.Integer("limit", left), .. StartedHere(startedAt),
                    Parameter.Integer("class", SqlScripts.AdvisoryLockClass),
                    Parameter.Texts("limited_kinds", limited.Select(pair => pair.Key)),
                    Parameter.Integers("max_running", limited.Select(pair => pair.Value)),
                ]).ConfigureAwait(false);
            claimed.AddRange(jobs);

            // Every waiting job it could see was a candidate, or every candidate was taken: none waits behind one held back.
            if (candidates < left || jobs.Count == candidates)
            {
                break;
            }
        }

        return claimed;
    }
}
