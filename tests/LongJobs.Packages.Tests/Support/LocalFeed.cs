using System.Globalization;
using System.Text.Json;

namespace LongJobs.Packages.Tests.Support;

/// <summary>
/// The repository's libraries packed into a folder feed under a version of their own (a restored version is cached
/// for good, so a fixed one would test an old package), removed with that version's cache entries afterwards.
/// </summary>
public sealed class LocalFeed : IAsyncLifetime
{
    /// <summary>The longest a pack, build or run may take on a busy machine.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "longjobs-packages-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; } = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

    /// <summary>The folder that holds the packages.</summary>
    public string Folder => Path.Combine(_root, "feed");

    /// <summary>A new empty folder outside the repository, for an app.</summary>
    public string NewWorkFolder(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    /// <summary>The packages in the feed, by file name.</summary>
    public IReadOnlyList<string> Packages => [.. Directory.EnumerateFiles(Folder, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>
    /// Writes a <c>nuget.config</c> into <paramref name="folder"/> that adds the feed to the machine's package sources,
    /// as a user adds a company feed.
    /// </summary>
    public void WriteNuGetConfig(string folder) => File.WriteAllText(
        Path.Combine(folder, "nuget.config"),
        $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="longjobs-local" value="{Folder}" />
          </packageSources>
        </configuration>
        """);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);

        // Every library under src/, packed in one go through a solution filter.
        var repository = RepositoryRoot();
        var libraries = Directory.EnumerateFiles(Path.Combine(repository, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(repository, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var filter = Path.Combine(_root, "libraries.slnf");
        await File.WriteAllTextAsync(filter, JsonSerializer.Serialize(new { solution = new { path = Path.Combine(repository, "LongJobs.sln"), projects = libraries } }));

        await DotNet.RunAsync(repository, CommandTimeout, "pack", filter, "-c", "Release", "-o", Folder, $"-p:Version={Version}", "-v", "quiet", "-nologo");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var cached in Directory.Exists(cache) ? Directory.EnumerateDirectories(cache, "longjobs.*") : [])
        {
            var version = Path.Combine(cached, Version);
            if (Directory.Exists(version))
            {
                Directory.Delete(version, recursive: true);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The folder that holds <c>LongJobs.sln</c>, above the test's output folder.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LongJobs.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' holds LongJobs.sln.");
    }
}
