using System.Runtime.InteropServices;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>The <c>dotnet</c> executable that runs the sample: the one the SDK names, else the one running these tests, else PATH's.</summary>
internal static class DotNetHost
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var fileName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        // The runtime directory is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var beside = System.IO.Path.Combine(root, fileName);
        return File.Exists(beside) ? beside : fileName;
    }
}
