using System.Text.RegularExpressions;
using LongJobs.Client.Tests.Support;

namespace LongJobs.Client.Tests;

/// <summary>The client's hand-written source files sit in the folder named after their namespace.</summary>
public sealed partial class ProjectLayoutTests
{
    [Fact]
    public void HandWrittenFiles_DeclareTheNamespaceOfTheirFolder()
    {
        var root = RepositoryFiles.PathOf("src/LongJobs.Client");
        var misplaced = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(relative)!.Replace('/', '.');
            var expected = folder switch
            {
                "" => "LongJobs.Client",

                // Extension methods for IServiceCollection live in its namespace, as ASP.NET Core's own do.
                "DependencyInjection" => "Microsoft.Extensions.DependencyInjection",
                _ => "LongJobs.Client." + folder,
            };
            var declared = NamespaceDeclaration().Match(File.ReadAllText(file)).Groups[1].Value;
            if (declared != expected)
            {
                misplaced.Add($"{relative} declares '{declared}', its folder means '{expected}'");
            }
        }

        Assert.Empty(misplaced);
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
