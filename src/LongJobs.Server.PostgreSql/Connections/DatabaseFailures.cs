using Npgsql;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>What a failed database call means: whether the database is out of reach for now, and whether the call surely changed nothing.</summary>
internal static class DatabaseFailures
{
    /// <summary>Whether the database cannot be reached for now: network errors, timeouts, a server shutting down or starting.</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is NpgsqlException { IsTransient: true }
        || exception is PostgresException { SqlState: var state } && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));

    /// <summary>
    /// Whether a statement that failed with <paramref name="exception"/> after it was sent surely changed nothing: the
    /// server answered it with an error (not a fatal one, which ends the session and may come after a commit), so its
    /// transaction rolled back. A broken connection or a timeout leaves the outcome unknown.
    /// </summary>
    public static bool RolledBack(Exception exception) =>
        exception is PostgresException { InvariantSeverity: "ERROR" };
}
