using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using WebSocketEcho.Tests.Shared;

namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>The output of one finished command.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>Gets the distinct MSBuild and compiler warnings in the output ("file(line,col): warning CODE: text").</summary>
    public IReadOnlyList<string> Warnings =>
        [.. Regex.Matches(Output, @"^.*: warning [^\r\n]*$", RegexOptions.Multiline).Select(m => m.Value.Trim()).Distinct()];
}

/// <summary>
/// Runs the dotnet CLI as a user would, bounded in time and at below-normal priority. Build servers and node reuse
/// are off so that no process outlives the command (and holds its output open), and the MSBuild variables of the
/// `dotnet test` that runs these tests are not inherited. Each command runs while it holds
/// <see cref="MachineTestLock.HeavyTests"/> shared: never alongside the middleware's chaos tests (the wait for the lock
/// is not part of the command's timeout).
/// </summary>
internal static class DotNetCli
{
    public static async Task<CommandResult> RunAsync(
        string workingDirectory,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = CreateStartInfo("dotnet", arguments, workingDirectory, environment);
        var commandLine = "dotnet " + string.Join(' ', startInfo.ArgumentList);
        using var machineLock = await MachineTestLock.HeavyTests.AcquireSharedAsync($"the packaging tests (`{commandLine}`)", cancellationToken: cancellationToken);
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();

        // Builds are background work: when `dotnet test` runs the other test projects at the same time, their servers
        // and clients (with timeouts) get the CPU first. MSBuild, the compilers and ILC inherit the lower priority.
        try
        {
            process.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already exited, or not permitted: the command still runs, just at normal priority.
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"`{commandLine}` did not finish within {timeout}. Output so far:\n{Snapshot(output)}");
        }

        return new CommandResult(commandLine, process.ExitCode, Snapshot(output), stopwatch.Elapsed);
    }

    /// <summary>Runs a command and fails the test with its output unless it exits with 0.</summary>
    public static async Task<CommandResult> RunCheckedAsync(
        string workingDirectory,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(workingDirectory, arguments, timeout, environment, cancellationToken);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"`{result.CommandLine}` exited with {result.ExitCode}:\n{result.Output}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{result.Elapsed.TotalSeconds,6:0.0} s  {result.CommandLine}");
        return result;
    }

    /// <summary>Builds the start info for <paramref name="fileName"/> with a clean, CLI-friendly environment.</summary>
    public static ProcessStartInfo CreateStartInfo(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var inherited = startInfo.Environment;
        foreach (var name in inherited.Keys.Where(IsMsBuildVariable).ToList())
        {
            inherited.Remove(name);
        }

        inherited["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        inherited["DOTNET_NOLOGO"] = "1";
        inherited["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        inherited["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        inherited["MSBUILDDISABLENODEREUSE"] = "1";
        inherited["UseSharedCompilation"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            inherited[name] = value;
        }

        return startInfo;
    }

    private static bool IsMsBuildVariable(string name) => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
