using LongJobs.Server.PostgreSql.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Migrations;

/// <summary>
/// Creates and upgrades the store's schema: applies the numbered migrations not applied yet, in one
/// transaction, under an advisory lock, so several nodes starting at once apply each migration exactly once.
/// The host migrates as it starts; once that has succeeded, asking again costs one field read.
/// </summary>
internal sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, SqlScripts scripts, ILogger logger)
{
    private readonly Lock _gate = new();
    private Task? _migration;
    private volatile bool _migrated;

    /// <summary>
    /// Completes once the schema is up to date: at once after a migration succeeded; otherwise it joins the
    /// migration under way, or starts one (a failed one is tried again by the next call). The migration is shared by
    /// every caller, so no caller's token cancels it; each caller stops waiting on its own.
    /// </summary>
    public ValueTask EnsureMigratedAsync(CancellationToken cancellationToken) =>
        _migrated ? ValueTask.CompletedTask : new(StartOrJoinMigration().WaitAsync(cancellationToken));

    private Task StartOrJoinMigration()
    {
        lock (_gate)
        {
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                _migration = MigrateAsync(CancellationToken.None);
            }

            return _migration;
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        await ExecuteAsync(
            connection,
            transaction,
            "SELECT pg_advisory_xact_lock(@class, hashtext(@lock))",
            cancellationToken,
            ("class", SqlScripts.AdvisoryLockClass),
            ("lock", "migrate:" + scripts.Schema)).ConfigureAwait(false);
        await ExecuteAsync(
            connection,
            transaction,
            $"""
            CREATE SCHEMA IF NOT EXISTS {scripts.QuotedSchema};
            CREATE TABLE IF NOT EXISTS {scripts.QuotedSchema}.schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """,
            cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<int>();
        await using (var command = new NpgsqlCommand($"SELECT version FROM {scripts.QuotedSchema}.schema_migrations", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in scripts.Migrations.Where(migration => !applied.Contains(migration.Version)))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                transaction,
                $"INSERT INTO {scripts.QuotedSchema}.schema_migrations (version, name) VALUES (@version, @name)",
                cancellationToken,
                ("version", migration.Version),
                ("name", migration.Name)).ConfigureAwait(false);
            MigrationApplied(logger, migration.Name, scripts.Schema);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _migrated = true;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(1, LogLevel.Information, "Applied migration {Migration} to schema {Schema}.")]
    private static partial void MigrationApplied(ILogger logger, string migration, string schema);
}
