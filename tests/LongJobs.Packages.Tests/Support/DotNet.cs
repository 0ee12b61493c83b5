using System.Diagnostics;
using System.Text;

namespace LongJobs.Packages.Tests.Support;

/// <summary>Runs the .NET CLI (or a built app) as a user would, capturing its output.</summary>
internal static class DotNet
{
    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>; fails the test, with the output, unless it exits with 0.</summary>
    public static async Task<string> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(workingDirectory, arguments);
        var output = new StringBuilder();
        var reading = ReadAllAsync(process, output);
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'dotnet {string.Join(' ', arguments)}' did not finish within {timeout}. Its output:\n{output}");
        }

        await reading;
        Assert.True(process.ExitCode == 0, $"'dotnet {string.Join(' ', arguments)}' in {workingDirectory} exited with {process.ExitCode}. Its output:\n{output}");
        return output.ToString();
    }

    /// <summary>Starts <c>dotnet <paramref name="arguments"/></c> and leaves it running; its output goes to <paramref name="output"/>, a line at a time.</summary>
    public static Process StartApp(string workingDirectory, Action<string> output, params string[] arguments)
    {
        var process = Start(workingDirectory, arguments);
        process.OutputDataReceived += (_, line) => { if (line.Data is { } data) { output(data); } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } data) { output(data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Process Start(string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The apps are a user's, not this repository's: no test-run or build-server settings leak into them.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("VSTEST_HOST_DEBUG");
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private static Task ReadAllAsync(Process process, StringBuilder output)
    {
        var lines = new object();
        return Task.WhenAll(Copy(process.StandardOutput), Copy(process.StandardError));

        async Task Copy(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    output.AppendLine(line);
                }
            }
        }
    }
}
