namespace LongJobs.Sample.BrowserTests.Support;

/// <summary>Files the tests leave for people to look at, under the repository's git-ignored <c>artifacts/</c> folder.</summary>
internal static class Artifacts
{
    /// <summary>The full path of <paramref name="relativePath"/> under <c>artifacts/</c>; its folder exists.</summary>
    public static string PathOf(string relativePath)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LongJobs.sln")))
            {
                var path = Path.Combine(folder.FullName, "artifacts", relativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                return path;
            }
        }

        throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' holds LongJobs.sln.");
    }
}
