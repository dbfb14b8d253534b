using System.Runtime.InteropServices;

namespace WebSocketEcho.Packaging.Tests.Infrastructure;

/// <summary>
/// What a Native AOT publish needs here: linux-x64, clang and zlib's development files. Without them a test is skipped
/// with the reason, unless WSE_REQUIRE_AOT=1 (CI), which makes it a failure.
/// </summary>
internal static class NativeToolchain
{
    private static readonly string[] s_libraryDirectories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"];

    public static void Require()
    {
        var required = Environment.GetEnvironmentVariable("WSE_REQUIRE_AOT") == "1";
        string? missing = null;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            missing = $"this test publishes for linux-x64 and runs the binary; this machine is {RuntimeInformation.RuntimeIdentifier}";
        }
        else if (FindOnPath("clang") is null)
        {
            missing = "Native AOT links with clang, which is not on PATH (apt-get install -y clang zlib1g-dev)";
        }
        else if (!ZlibDevelopmentFilesInstalled())
        {
            missing = "Native AOT links against zlib, whose development files are missing (apt-get install -y zlib1g-dev)";
        }
    
        if (missing is null)
        {
            return;
        }
    
        if (required)
        {
            Assert.Fail($"WSE_REQUIRE_AOT=1 but {missing}.");
        }
    
        Assert.Skip($"Skipped: {missing}. Set WSE_REQUIRE_AOT=1 to make this a failure.");
    }
    
    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    
    private static bool ZlibDevelopmentFilesInstalled() =>
        s_libraryDirectories.Any(directory => File.Exists(Path.Combine(directory, "libz.so")) || File.Exists(Path.Combine(directory, "libz.a")));
}
