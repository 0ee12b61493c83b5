using Npgsql;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>Why the database cannot serve the store, as <see cref="DatabaseFailures.Classify"/> reads a failure.</summary>
internal enum DatabaseProblem
{
    /// <summary>Not a database that cannot serve: the statement's own error (a 42xxx programming error, a constraint) or a bug.</summary>
    None,

    /// <summary>The server cannot be reached, or the connection broke: network errors, timeouts, SQLSTATE class 08.</summary>
    Unreachable,

    /// <summary>The server is shutting down, starting or restarting (SQLSTATE 57P).</summary>
    ShuttingDown,

    /// <summary>The server is short of resources: too many connections, out of memory, disk full (SQLSTATE class 53).</summary>
    ShortOfResources,

    /// <summary>The server failed on its side: an I/O or system error (SQLSTATE class 58).</summary>
    ServerError,

    /// <summary>The server rejected the credentials (SQLSTATE class 28, such as 28P01: wrong password).</summary>
    CredentialsRejected,

    /// <summary>The database named in the connection string does not exist (SQLSTATE 3D000).</summary>
    DatabaseMissing,

    /// <summary>The connection could not be set up (no password given, a TLS handshake that failed).</summary>
    ConnectionRefused,

    /// <summary>The statement lost to another one (a deadlock, a serialization failure, a lock timeout): worth running again.</summary>
    Busy,
}

/// <summary>What a failed database call means: whether the database cannot serve the store, whether it is worth trying again at once, and whether the call surely changed nothing.</summary>
internal static class DatabaseFailures
{
    /// <summary>
    /// Why the database cannot serve the store, from <paramref name="exception"/>: connection and server-state
    /// errors (SQLSTATE classes 08, 28, 53, 58, 57P, 3D000, any error of Npgsql's own that is not the server's answer to
    /// a statement) and the server's transient errors (deadlocks, lock timeouts); <see cref="DatabaseProblem.None"/> for
    /// anything else, such as a 42xxx programming error.
    /// </summary>
    public static DatabaseProblem Classify(Exception exception) => exception switch
    {
        PostgresException postgres => ClassifyServerError(postgres),
        NpgsqlException { IsTransient: true } => DatabaseProblem.Unreachable,
        NpgsqlException => DatabaseProblem.ConnectionRefused,
        _ => DatabaseProblem.None,
    };

    private static DatabaseProblem ClassifyServerError(PostgresException exception) => exception.SqlState switch
    {
        var state when state.StartsWith("08", StringComparison.Ordinal) => DatabaseProblem.Unreachable,
        var state when state.StartsWith("57P", StringComparison.Ordinal) => DatabaseProblem.ShuttingDown,
        var state when state.StartsWith("53", StringComparison.Ordinal) => DatabaseProblem.ShortOfResources,
        var state when state.StartsWith("58", StringComparison.Ordinal) => DatabaseProblem.ServerError,
        var state when state.StartsWith("28", StringComparison.Ordinal) => DatabaseProblem.CredentialsRejected,
        PostgresErrorCodes.InvalidCatalogName => DatabaseProblem.DatabaseMissing,
        _ when exception.IsTransient => DatabaseProblem.Busy,
        _ => DatabaseProblem.None,
    };

    /// <summary>Whether the database cannot serve the store for now (see <see cref="Classify"/>): the store is unavailable (503), not failing.</summary>
    public static bool IsUnavailable(Exception exception) => Classify(exception) != DatabaseProblem.None;

    /// <summary>
    /// Whether a call that failed with <paramref name="exception"/> may succeed if it runs again within seconds: a
    /// network error, a timeout, a server restarting or busy (Npgsql's transient errors, SQLSTATE classes 08 and 57P).
    /// Rejected credentials, a missing database and a connection that cannot be set up are not: the next attempt
    /// would fail the same way, so the caller learns at once that the store is unavailable.
    /// </summary>
    public static bool IsRetryable(Exception exception) =>
        exception is NpgsqlException { IsTransient: true }
        || exception is PostgresException { SqlState: var state } && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));

    /// <summary>
    /// Whether a statement failed because of what it was given, not because the database could not serve it: the server
    /// answered with an error of its own (a value it rejected, a constraint). One statement of many jobs is then better
    /// written again job by job, so the job the error is about fails alone.
    /// </summary>
    public static bool IsRejectedValue(Exception exception) =>
        exception is PostgresException { InvariantSeverity: "ERROR" } && !IsUnavailable(exception);

    /// <summary>
    /// Whether a statement that failed with <paramref name="exception"/> after it was sent surely changed nothing: the
    /// server answered it with an error (not a fatal one, which ends the session and may come after a commit), so its
    /// transaction rolled back. A broken connection or a timeout leaves the outcome unknown.
    /// </summary>
    public static bool RolledBack(Exception exception) =>
        exception is PostgresException { InvariantSeverity: "ERROR" };

    /// <summary>
    /// What is wrong, in one line for an operator: "The job database rejected the credentials (28P01: password
    /// authentication failed for user "x"): check the connection string".
    /// </summary>
    public static string Describe(Exception exception) => Classify(exception) switch
    {
        DatabaseProblem.CredentialsRejected => $"The job database rejected the credentials ({Reason(exception)}): check the connection string",
        DatabaseProblem.DatabaseMissing => $"The job database does not exist ({Reason(exception)}): check the connection string",
        DatabaseProblem.ConnectionRefused => $"The connection to the job database could not be set up ({Reason(exception)}): check the connection string",
        DatabaseProblem.ShuttingDown => $"The job database is shutting down or starting ({Reason(exception)})",
        DatabaseProblem.ShortOfResources => $"The job database is short of resources ({Reason(exception)})",
        DatabaseProblem.ServerError => $"The job database failed ({Reason(exception)})",
        DatabaseProblem.Busy => $"The job database is busy ({Reason(exception)})",
        _ => $"The job database cannot be reached ({Reason(exception)})",
    };

    /// <summary>The exception's message and, for Npgsql's own errors, the cause's ("Failed to connect to 127.0.0.1:1: Connection refused"), on one line.</summary>
    private static string Reason(Exception exception)
    {
        var reason = exception is not PostgresException && exception.InnerException is { } cause && !exception.Message.Contains(cause.Message, StringComparison.Ordinal)
            ? $"{exception.Message}: {cause.Message}"
            : exception.Message;
        return reason.ReplaceLineEndings(" ");
    }
}
