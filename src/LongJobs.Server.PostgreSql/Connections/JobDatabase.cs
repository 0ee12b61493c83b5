using LongJobs.Server.PostgreSql.Migrations;
using LongJobs.Server.PostgreSql.Rows;
using LongJobs.Server.PostgreSql.Sql;
using LongJobs.Server.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;

namespace LongJobs.Server.PostgreSql.Connections;

/// <summary>When a database call may run again after a failure (see <see cref="StoreRetry"/>).</summary>
internal enum Repeat
{
    /// <summary>Whenever it failed because the database was out of reach: running it twice has the effect of running it once.</summary>
    Safe,

    /// <summary>Only when it surely changed nothing: it failed before it was sent, or the server rejected it.</summary>
    OnlyIfUnsent,
}

/// <summary>
/// Runs the store's statements on its connection pool: after the schema is ready, through <see cref="StoreRetry"/>,
/// and reports a database that cannot serve the store (out of reach, rejecting the credentials, missing; see
/// <see cref="DatabaseFailures.Classify"/>) as <see cref="JobStoreUnavailableException"/> once the retries, if any, are
/// spent, and to <see cref="Availability"/>, which logs the outage once.
/// </summary>
internal sealed partial class JobDatabase : IAsyncDisposable
{
    /// <summary>The event ID of the line logged before a failed call runs again.</summary>
    internal const int RetryingEvent = 111;

    /// <summary>How many statements each connection keeps prepared: every statement of the store, with room to spare.</summary>
    internal const int AutoPreparedStatements = 32;

    private readonly bool _ownsDataSource;
    private readonly SchemaMigrator _migrator;
    private readonly ResiliencePipeline _retry;
    private readonly TimeProvider _time;

    /// <param name="dataSource">The pool to use.</param>
    /// <param name="ownsDataSource">Whether the store made <paramref name="dataSource"/> (then it disposes it) or the application gave it.</param>
    /// <param name="sql">The store's statements.</param>
    /// <param name="time">Times the delays between retries.</param>
    /// <param name="retryTimeout">How long a call keeps running again while the database is out of reach (see <see cref="StoreRetry"/>).</param>
    /// <param name="logger">Logs migrations, repetitions (at the debug level) and, through <see cref="Availability"/>, outages.</param>
    public JobDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, SqlScripts sql, TimeProvider time, TimeSpan retryTimeout, ILogger logger)
    {
        DataSource = dataSource;
        Availability = new DatabaseAvailability(logger, time);
        _ownsDataSource = ownsDataSource;
        Sql = sql;
        _migrator = new SchemaMigrator(dataSource, sql, logger);
        _time = time;
        _retry = StoreRetry.Create(time, retryTimeout, arguments =>
        {
            Retrying(logger, arguments.AttemptNumber + 1, StoreRetry.Elapsed(arguments.Context, time), arguments.RetryDelay, arguments.Outcome.Exception!.Message);
            return default;
        });
    }

    /// <summary>The connection pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The store's statements.</summary>
    public SqlScripts Sql { get; }

    /// <summary>Whether the database serves the store, as its calls and loops find out; logs the outages.</summary>
    public DatabaseAvailability Availability { get; }

    /// <summary>
    /// The pool the store makes from a connection string. Unless the connection string says otherwise, it prepares the
    /// statements it runs repeatedly (Max Auto Prepare), so PostgreSQL parses and plans each once per connection, and
    /// it does not reset a connection's session when the store returns it to the pool (No Reset On Close): the reset
    /// costs a statement per use, and the store's statements leave no session state behind. Statements name their
    /// columns rather than <c>*</c>, so a prepared statement survives a later migration that adds a column.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        var given = settings.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("Max Auto Prepare"))
        {
            settings.MaxAutoPrepare = AutoPreparedStatements;
        }

        if (!given.Contains("No Reset On Close"))
        {
            settings.NoResetOnClose = true;
        }

        return builder.Build();
    }

    /// <summary>
    /// Creates or upgrades the schema, as the host starts. Throws <see cref="JobStoreUnavailableException"/> while the
    /// database cannot be reached; the first statement that reaches it then migrates.
    /// </summary>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        RunAsync(
            Repeat.Safe,
            static async (migrator, context) =>
            {
                await migrator.EnsureMigratedAsync(context.CancellationToken).ConfigureAwait(false);
                return true;
            },
            _migrator,
            cancellationToken);

    /// <summary>Runs <paramref name="statement"/> and reads the jobs it returns.</summary>
    public Task<List<JobRecord>> QueryJobsAsync(string statement, Repeat repeat, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        ExecuteAsync(statement, repeat, ReadJobsAsync, cancellationToken, parameters);

    /// <summary>Runs <paramref name="statement"/> and reads the job it returns, if any.</summary>
    public async Task<JobRecord?> QueryJobAsync(string statement, Repeat repeat, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        var jobs = await QueryJobsAsync(statement, repeat, cancellationToken, parameters).ConfigureAwait(false);
        return jobs.Count == 0 ? null : jobs[0];
    }

    /// <summary>Runs <paramref name="statement"/> with <paramref name="parameters"/> through <paramref name="run"/>, which executes the command and reads its results.</summary>
    public Task<T> ExecuteAsync<T>(string statement, Repeat repeat, Func<NpgsqlCommand, CancellationToken, Task<T>> run, CancellationToken cancellationToken, params NpgsqlParameter[] parameters) =>
        WithConnectionAsync(
            repeat,
            async (connection, token) =>
            {
                await using var command = new NpgsqlCommand(Sql[statement], connection);
                command.Parameters.AddRange(parameters);
                try
                {
                    return await run(command, token).ConfigureAwait(false);
                }
                finally
                {
                    command.Parameters.Clear(); // frees the parameters for the next attempt's command
                }
            },
            cancellationToken);

    /// <summary>Runs <paramref name="work"/> on an open connection, once the schema is ready.</summary>
    public Task<T> WithConnectionAsync<T>(Repeat repeat, Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(
            repeat,
            static async (state, context) =>
            {
                await state.Database._migrator.EnsureMigratedAsync(context.CancellationToken).ConfigureAwait(false);
                await using var connection = await state.Database.DataSource.OpenConnectionAsync(context.CancellationToken).ConfigureAwait(false);
                context.Properties.Set(StoreRetry.Sent, true);
                context.Properties.Set(StoreRetry.EverSent, true);
                return await state.Work(connection, context.CancellationToken).ConfigureAwait(false);
            },
            (Database: this, Work: work),
            cancellationToken);

    /// <summary>Runs one call through the retry pipeline; a database still out of reach at the end is reported as unavailable.</summary>
    private async Task<T> RunAsync<TState, T>(Repeat repeat, Func<TState, ResilienceContext, Task<T>> call, TState state, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StoreRetry.Repeatable, repeat == Repeat.Safe);
        context.Properties.Set(StoreRetry.StartedAt, _time.GetTimestamp());
        context.Properties.Set(StoreRetry.EverSent, false);
        try
        {
            return await _retry.ExecuteAsync(
                static async (context, state) =>
                {
                    context.Properties.Set(StoreRetry.Sent, false);
                    var began = state.Database._time.GetTimestamp();
                    var result = await state.Call(state.State, context).ConfigureAwait(false);
                    state.Database.Availability.Succeeded(began);
                    return result;
                },
                context,
                (Call: call, State: state, Database: this)).ConfigureAwait(false);
        }
        catch (Exception exception) when (DatabaseFailures.IsUnavailable(exception))
        {
            Availability.Failed(exception);
            throw Unavailable(exception, mayHaveChanged: context.Properties.GetValue(StoreRetry.EverSent, true));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// What the store throws when the database cannot serve it: one that says, on one line, what is wrong, and whether
    /// the call may have reached the database.
    /// </summary>
    public static JobStoreUnavailableException Unavailable(Exception exception, bool mayHaveChanged) =>
        new($"The job store cannot be reached. {DatabaseFailures.Describe(exception)}.", exception) { MayHaveChanged = mayHaveChanged };

    /// <summary>Disposes the pool if the store made it; the application's own pool is the application's to dispose.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<List<JobRecord>> ReadJobsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(JobRows.Read(reader));
        }

        return jobs;
    }

    [LoggerMessage(RetryingEvent, LogLevel.Debug, "A call to the job database failed ({Reason}); repetition {Repetition}, {Elapsed} after its first attempt, in {Delay}.")]
    private static partial void Retrying(ILogger logger, int repetition, TimeSpan elapsed, TimeSpan delay, string reason);
}
