using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace LongJobs.Benchmarks.PostgreSql;

/// <summary>
/// The cluster's limit for small write transactions: pgbench's simple-update script (<c>-N</c>: three writes and a commit
/// each) on a scratch database, 10 clients on 2 threads with prepared statements, dropped afterwards.
/// </summary>
internal static partial class PgBenchRun
{
    private const string Database = "longjobs_pgbench";

    /// <summary>Initialises the scratch database at <paramref name="scale"/>, runs pgbench for <paramref name="seconds"/> and reads what it did.</summary>
    /// <returns>The transactions pgbench processed, in the time that gives its reported transactions/s, and what they cost.</returns>
    public static async Task<ShapeResult> RunAsync(string pgbench, string connectionString, int scale, int seconds)
    {
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        var scratch = new NpgsqlConnectionStringBuilder(connectionString) { Database = Database }.ConnectionString;
        await ExecuteAsync(connectionString, $"DROP DATABASE IF EXISTS {Database}");
        await ExecuteAsync(connectionString, $"CREATE DATABASE {Database}");
        try
        {
            await RunAsync(pgbench, server, "-i", "-q", "-s", Invariant(scale), Database);
            var atStart = await DatabaseCounters.ReadAsync(scratch);
            var output = await RunAsync(pgbench, server, "-N", "-c", "10", "-j", "2", "-M", "prepared", "-T", Invariant(seconds), Database);
            var cost = (await DatabaseCounters.SettledAsync(scratch)).Since(atStart);
            var transactions = int.Parse(Processed().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            var tps = double.Parse(Tps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            return new ShapeResult("pgbench -N -c 10 -j 2 -M prepared", transactions, TimeSpan.FromSeconds(transactions / tps), cost, []);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(connectionString, $"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
        }
    }

    private static async Task<string> RunAsync(string pgbench, NpgsqlConnectionStringBuilder server, params string[] arguments)
    {
        var start = new ProcessStartInfo(pgbench) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-h", server.Host!, "-p", Invariant(server.Port), "-U", server.Username!, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        if (server.Password is { } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench {string.Join(' ', arguments)} exited with {process.ExitCode}: {await errors}");
        }

        return await output;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex Processed();

    [GeneratedRegex(@"tps = ([\d.]+) \(without initial connection time\)")]
    private static partial Regex Tps();
}
