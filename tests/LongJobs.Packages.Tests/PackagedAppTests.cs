using System.Diagnostics;
using System.Text.RegularExpressions;
using LongJobs.Packages.Tests.Support;

namespace LongJobs.Packages.Tests;

/// <summary>
/// LongJobs as a user adds it to their own apps: the libraries packed to a local feed; a new server with its own
/// 'thumbnail' kind and a new console client, in a folder outside this repository, that reference nothing but the
/// packages; the server runs, and the client, whose typed client the build generated from the server's OpenAPI
/// document, awaits a typed result with progress over real HTTP.
/// </summary>
public sealed partial class PackagedAppTests(LocalFeed feed) : IClassFixture<LocalFeed>
{
    [Fact]
    public void Pack_ProducesEveryLibraryWithSymbols()
    {
        Assert.Equal(
            [
                $"LongJobs.Client.{feed.Version}.nupkg",
                $"LongJobs.Server.{feed.Version}.nupkg",
                $"LongJobs.Server.Email.{feed.Version}.nupkg",
                $"LongJobs.Server.OpenApi.{feed.Version}.nupkg",
                $"LongJobs.Server.PostgreSql.{feed.Version}.nupkg",
            ],
            feed.Packages);
        Assert.All(feed.Packages, package => Assert.True(File.Exists(Path.Combine(feed.Folder, package.Replace(".nupkg", ".snupkg", StringComparison.Ordinal))), $"{package} has no symbol package."));
    }

    [Fact]
    public async Task AServerAndAClientBuiltFromThePackages_AwaitATypedResultWithProgress()
    {
        var work = feed.NewWorkFolder("apps");
        CopyApp("ThumbServer", work);
        CopyApp("ThumbClient", work);
        feed.WriteNuGetConfig(work);
        var version = $"-p:LongJobsVersion={feed.Version}";

        await DotNet.RunAsync(Path.Combine(work, "ThumbServer"), LocalFeed.CommandTimeout, "build", version, "-nologo", "-v", "quiet");
        Assert.True(File.Exists(Path.Combine(work, "ThumbServer/obj/openapi/openapi.json")), "The server's build wrote no OpenAPI document.");

        await using var server = await RunningServer.StartAsync(Path.Combine(work, "ThumbServer"), "bin/Debug/net10.0/ThumbServer.dll");
        await DotNet.RunAsync(Path.Combine(work, "ThumbClient"), LocalFeed.CommandTimeout, "build", version, $"-p:ThumbServerUrl={server.Address}", "-nologo", "-v", "quiet");
        Assert.True(File.Exists(Path.Combine(work, "ThumbClient/obj/Debug/net10.0/LongJobsClient/LiveThumbJobsClient.g.cs")), "No client was generated from the server's URL.");

        var output = await DotNet.RunAsync(Path.Combine(work, "ThumbClient"), LocalFeed.CommandTimeout, "bin/Debug/net10.0/ThumbClient.dll", server.Address.ToString());

        Assert.Contains("result: https://example.com/cat.png?w=320 320x240", output, StringComparison.Ordinal);
        var fractions = ProgressLine().Matches(output).Select(match => match.Groups[1].Value).Distinct().ToList();
        Assert.True(fractions.Count >= 3, $"The client saw too little progress (want the start, some steps and the end):\n{output}");
        Assert.Contains("Succeeded 1.00", output, StringComparison.Ordinal);
    }

    private static void CopyApp(string name, string work)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Apps", name);
        var target = Directory.CreateDirectory(Path.Combine(work, name)).FullName;
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    [GeneratedRegex(@"^progress: \w+ (\d\.\d\d)", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();

    /// <summary>The built server, running on a free loopback port until disposed.</summary>
    private sealed partial class RunningServer : IAsyncDisposable
    {
        private readonly Process _process;

        private RunningServer(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        /// <summary>The server's address, ending in <c>/</c>.</summary>
        public Uri Address { get; }

        public static async Task<RunningServer> StartAsync(string folder, string app)
        {
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var process = DotNet.StartApp(folder, line =>
            {
                output.Enqueue(line);
                if (ListeningOn().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
                }
            }, app, "--urls", "http://127.0.0.1:0");
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The server exited with {process.ExitCode}:\n{string.Join('\n', output)}"));
            process.EnableRaisingEvents = true;
            try
            {
                return new RunningServer(process, await listening.Task.WaitAsync(LocalFeed.CommandTimeout));
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (http://\S+)")]
        private static partial Regex ListeningOn();
    }
}
