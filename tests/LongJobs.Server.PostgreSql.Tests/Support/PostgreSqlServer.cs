using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace LongJobs.Server.PostgreSql.Tests.Support;

/// <summary>
/// The PostgreSQL server every test in the <c>PostgreSQL</c> collection shares: the server named by the
/// <c>LONGJOBS_TEST_POSTGRES</c> connection string when it is set, otherwise a throwaway cluster that this
/// fixture creates under <c>/tmp</c>, starts on a free loopback port, and removes when the tests end.
/// Tests isolate themselves with <see cref="CreateDatabaseAsync"/> (or their own schema); they never share rows.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    /// <summary>The environment variable that names an existing server to test against instead.</summary>
    public const string ConnectionStringVariable = "LONGJOBS_TEST_POSTGRES";

    /// <summary>The xunit collection that shares this fixture: <c>[Collection(PostgreSqlServer.CollectionName)]</c>.</summary>
    public const string CollectionName = "PostgreSQL";

    /// <summary>
    /// The group role whose members log in to the throwaway cluster with a password (scram-sha-256), where every other
    /// role is trusted: a test can rotate a member's password while nodes run. <c>CREATE ROLE x LOGIN PASSWORD '...' IN
    /// ROLE longjobs_password_login</c>.
    /// </summary>
    public const string PasswordLoginGroup = "longjobs_password_login";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string? externalConnectionString;
    private readonly ConcurrentQueue<string> createdDatabases = new();
    private ThrowawayCluster? cluster;

    /// <summary>Reads <c>LONGJOBS_TEST_POSTGRES</c>; the server itself starts in <see cref="InitializeAsync"/>.</summary>
    public PostgreSqlServer()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        externalConnectionString = string.IsNullOrWhiteSpace(configured) ? null : configured;
    }

    /// <summary>Whether the server comes from <c>LONGJOBS_TEST_POSTGRES</c> (it cannot be stopped and started then).</summary>
    public bool IsExternal => externalConnectionString is not null;

    /// <summary>
    /// The connection string of the server's administrative database (<c>postgres</c> for the throwaway
    /// cluster: <c>Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres</c>).
    /// </summary>
    public string ConnectionString =>
        externalConnectionString ?? cluster?.ConnectionString ?? throw new InvalidOperationException("The PostgreSQL server has not started yet.");

    /// <summary>Creates a new, empty, uniquely named database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "longjobs_test_" + Guid.NewGuid().ToString("N");
        await ExecuteOnAdminDatabaseAsync($"CREATE DATABASE \"{name}\"", cancellationToken);
        createdDatabases.Enqueue(name);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the throwaway cluster (<c>pg_ctl stop -m fast</c>): connections break until <see cref="StartAsync"/>.</summary>
    /// <exception cref="NotSupportedException">The server comes from <c>LONGJOBS_TEST_POSTGRES</c>.</exception>
    public Task StopAsync(CancellationToken cancellationToken = default) => RequireCluster().StopAsync("fast", cancellationToken);

    /// <summary>Starts the throwaway cluster again after <see cref="StopAsync"/>, on the same port.</summary>
    /// <exception cref="NotSupportedException">The server comes from <c>LONGJOBS_TEST_POSTGRES</c>.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default) => RequireCluster().StartAsync(cancellationToken);

    /// <summary>Creates and starts the throwaway cluster, unless <c>LONGJOBS_TEST_POSTGRES</c> names a server.</summary>
    public async Task InitializeAsync()
    {
        if (!IsExternal)
        {
            cluster = await ThrowawayCluster.CreateAsync();
        }
    }

    /// <summary>Stops the throwaway cluster at once and deletes its folder; on an external server, drops the databases it created.</summary>
    public async Task DisposeAsync()
    {
        if (IsExternal)
        {
            while (createdDatabases.TryDequeue(out var name))
            {
                await ExecuteOnAdminDatabaseAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
            }
        }

        if (cluster is not null)
        {
            await cluster.DisposeAsync();
            cluster = null;
        }
    }

    private async Task ExecuteOnAdminDatabaseAsync(string sql, CancellationToken cancellationToken)
    {
        // Not pooled: after StopAsync/StartAsync a pooled connection would be a dead one.
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql; // Database DDL takes no parameters; the names are generated here.
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private ThrowawayCluster RequireCluster() =>
        IsExternal
            ? throw new NotSupportedException(
                $"Stopping and starting PostgreSQL needs the throwaway cluster the tests start themselves; {ConnectionStringVariable} names an " +
                $"external server instead. Unset {ConnectionStringVariable} to run the tests that stop the database.")
            : cluster ?? throw new InvalidOperationException("The PostgreSQL server has not started yet.");

    /// <summary>A cluster in its own folder under /tmp, run by the <c>postgres</c> user when the tests run as root.</summary>
    private sealed class ThrowawayCluster : IAsyncDisposable
    {
        private readonly string binDirectory;
        private readonly string dataDirectory;
        private readonly bool runAsPostgres;
        private int port;

        private ThrowawayCluster(string binDirectory, string dataDirectory, bool runAsPostgres)
        {
            this.binDirectory = binDirectory;
            this.dataDirectory = dataDirectory;
            this.runAsPostgres = runAsPostgres;
        }

        public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");

        public static async Task<ThrowawayCluster> CreateAsync()
        {
            var binDirectory = FindBinDirectory();
            var runAsPostgres = Environment.UserName == "root"; // initdb refuses to run as root.
            var dataDirectory = CreateDataDirectory();
            var cluster = new ThrowawayCluster(binDirectory, dataDirectory, runAsPostgres);
            try
            {
                if (runAsPostgres)
                {
                    await RunAsync("chown", ["postgres:postgres", dataDirectory], CancellationToken.None);
                }

                await cluster.RunToolAsync("initdb", ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], CancellationToken.None);
                await RequirePasswordsOfGroupAsync(dataDirectory);
                await cluster.StartOnAFreePortAsync();
                await using (var connection = new NpgsqlConnection(cluster.ConnectionString + ";Pooling=false"))
                {
                    await connection.OpenAsync();
                    await using var create = new NpgsqlCommand($"CREATE ROLE {PasswordLoginGroup} NOLOGIN", connection);
                    await create.ExecuteNonQueryAsync();
                }

                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        /// <summary>Makes the members of <see cref="PasswordLoginGroup"/> log in over TCP with a password: the first matching line of pg_hba.conf wins.</summary>
        private static async Task RequirePasswordsOfGroupAsync(string dataDirectory)
        {
            var hba = Path.Combine(dataDirectory, "pg_hba.conf");
            var rules = await File.ReadAllTextAsync(hba);
            await File.WriteAllTextAsync(hba, $"host all +{PasswordLoginGroup} 127.0.0.1/32 scram-sha-256\n" + rules); // keeps the file's owner
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var log = Path.Combine(dataDirectory, "log");
            var options = $"-p {port.ToString(CultureInfo.InvariantCulture)} -k {dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off";
            try
            {
                await RunToolAsync("pg_ctl", ["-D", dataDirectory, "-l", log, "-w", "-o", options, "start"], cancellationToken);
            }
            catch (InvalidOperationException exception) when (File.Exists(log))
            {
                // pg_ctl only says that the server did not start; its log says why.
                throw new InvalidOperationException(exception.Message + Environment.NewLine + "Server log:" + Environment.NewLine + await File.ReadAllTextAsync(log, CancellationToken.None), exception);
            }
        }

        public Task StopAsync(string mode, CancellationToken cancellationToken) =>
            RunToolAsync("pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "stop"], cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
                {
                    await StopAsync("immediate", CancellationToken.None);
                }
            }
            finally
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }

        private async Task StartOnAFreePortAsync()
        {
            // Another process may take the port between the probe and the start: try a few.
            for (var attempt = 1; ; attempt++)
            {
                port = FindFreePort();
                try
                {
                    await StartAsync(CancellationToken.None);
                    return;
                }
                catch (InvalidOperationException) when (attempt < 3 && !File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
                {
                }
            }
        }

        private Task RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
        {
            var path = Path.Combine(binDirectory, tool);
            return runAsPostgres
                ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], cancellationToken)
                : RunAsync(path, arguments, cancellationToken);
        }

        private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
        {
            var startInfo = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = "/tmp", // The postgres user may not read the test's own folder.
            };
            foreach (var argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            var text = new StringBuilder().Append(await output).Append(await error).ToString().Trim();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'{fileName} {string.Join(' ', arguments)}' exited with code {process.ExitCode}: {text}");
            }
        }

        private static string FindBinDirectory()
        {
            const string debianRoot = "/usr/lib/postgresql";
            var debian = Directory.Exists(debianRoot)
                ? Directory.EnumerateDirectories(debianRoot)
                    .Select(version => (Version: ParseVersion(Path.GetFileName(version)), Bin: Path.Combine(version, "bin")))
                    .Where(candidate => candidate.Version is not null && HasTools(candidate.Bin))
                    .OrderByDescending(candidate => candidate.Version)
                    .Select(candidate => candidate.Bin)
                    .FirstOrDefault()
                : null;
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(HasTools);

            return debian ?? onPath ?? throw new InvalidOperationException(
                "The PostgreSQL tests need a PostgreSQL server, and none was found: initdb and pg_ctl are neither in " +
                $"{debianRoot}/<version>/bin nor on PATH. Install the server binaries with 'apt-get install -y postgresql' " +
                $"(as root; ./test.sh does this itself), or set {ConnectionStringVariable} to the connection string of a " +
                "server whose user may create databases.");
        }

        private static bool HasTools(string directory) =>
            File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

        private static Version? ParseVersion(string name) =>
            Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version) ? version : null;

        private static string CreateDataDirectory()
        {
            // Under /tmp, not the temp folder of the user: the postgres user must reach it (not under /root).
            var path = Path.Combine("/tmp", "longjobs-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(path); // initdb narrows its permissions to the owner.
            return path;
        }

        private static int FindFreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}

/// <summary>Tests that share the PostgreSQL server: <c>[Collection(PostgreSqlServer.CollectionName)]</c> and a <see cref="PostgreSqlServer"/> constructor parameter.</summary>
[CollectionDefinition(PostgreSqlServer.CollectionName)]
public sealed class PostgreSqlCollectionDefinition : ICollectionFixture<PostgreSqlServer>;
